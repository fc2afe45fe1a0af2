/** Contract cases: stream names, event sizes, and the behaviour of a closed store. */
import { describe, expect, it } from 'vitest';
import { v7 } from 'uuid';
import { PayloadTooLargeError, StoreClosedError, StreamNameError } from '../../core/errors.js';
import type { NewEvent } from '../../stores/eventStore.js';
import { markPosition, newEvent, newEvents, readAllPaged, uniqueStream, waitUntil, type ContractContext } from './contractContext.js';

export function validationCases(ctx: ContractContext): void {
  /** Nothing with these ids was stored anywhere since `start`. */
  const expectNotStored = async (start: number, events: NewEvent[]): Promise<void> => {
    const ids = new Set(events.map((event) => event.id));
    const stored = (await readAllPaged(ctx.store, start)).filter((event) => ids.has(event.id));
    expect(stored).toEqual([]);
  };

  describe('validation', () => {
    it('rejects bad stream names with StreamNameError and appends nothing', async () => {
      const start = await markPosition(ctx.store);
      const id = v7();
      const bad: unknown[] = ['', `$ce-${id}`, `$${id}`, `-${id}`, 'x'.repeat(201), `saga ${id}`, `saga-${id}/x`, `saga-${id}\n`, 42, null, undefined, { id }];
      const events = newEvents(1);
      for (const name of bad) {
        await expect(ctx.store.append(name as string, events, 'any'), `append to ${String(name)}`).rejects.toBeInstanceOf(StreamNameError);
        await expect(ctx.store.readStream(name as string), `read ${String(name)}`).rejects.toBeInstanceOf(StreamNameError);
      }
      await expectNotStored(start, events);
      // The boundary: 200 characters is allowed.
      const longest = `saga-${id}-`.padEnd(200, 'x');
      await expect(ctx.store.append(longest, newEvents(1), 'no_stream')).resolves.toMatchObject({ nextRevision: 0 });
    });

    it('rejects an event over the size limit with PayloadTooLargeError; the whole batch is refused', async () => {
      const start = await markPosition(ctx.store);
      const stream = uniqueStream();
      const huge = 'x'.repeat(ctx.options.maxEventBytes + 1);
      const big = newEvent('Big', { huge });
      await expect(ctx.store.append(stream, [big], 'no_stream')).rejects.toBeInstanceOf(PayloadTooLargeError);
      const batch = [newEvent('Small'), newEvent('Big', { huge }), newEvent('Small')];
      await expect(ctx.store.append(stream, batch, 'no_stream')).rejects.toBeInstanceOf(PayloadTooLargeError);
      const bigMetadata = newEvent('SmallData', {}, { huge });
      await expect(ctx.store.append(stream, [bigMetadata], 'no_stream')).rejects.toBeInstanceOf(PayloadTooLargeError);
      expect(await ctx.store.readStream(stream)).toEqual([]);
      await expectNotStored(start, [big, ...batch, bigMetadata]);
      // The stream is still usable from scratch.
      await expect(ctx.store.append(stream, [newEvent()], 'no_stream')).resolves.toMatchObject({ nextRevision: 0 });
    });
  });

  describe('close', () => {
    it('rejects every call with StoreClosedError after close(); close() is idempotent', async () => {
      const store = await ctx.makeStore();
      const stream = uniqueStream();
      await store.append(stream, [newEvent()], 'no_stream');
      await store.close();
      await store.close();
      await expect(store.append(stream, [newEvent()], 0)).rejects.toBeInstanceOf(StoreClosedError);
      await expect(store.readStream(stream)).rejects.toBeInstanceOf(StoreClosedError);
      await expect(store.readAll({ maxCount: 1 })).rejects.toBeInstanceOf(StoreClosedError);
      expect(() => store.subscribeToAll({ onEvent: () => undefined })).toThrow(StoreClosedError);
    });

    it('stops live subscriptions: onError gets StoreClosedError and nothing is delivered after', async () => {
      const store = await ctx.makeStore();
      const start = await markPosition(store);
      const stream = uniqueStream();
      const seen: number[] = [];
      const errors: unknown[] = [];
      store.subscribeToAll({ after: start, streamPrefix: stream, onEvent: (event) => void seen.push(event.revision), onError: (error) => errors.push(error) });
      await store.append(stream, newEvents(2), 'no_stream');
      await waitUntil(() => seen.length >= 2, ctx.options.deliveryTimeoutMs, '2 deliveries');
      await store.close();
      await waitUntil(() => errors.length > 0, ctx.options.deliveryTimeoutMs, 'onError after close');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(StoreClosedError);
      // On a shared server, another client's append must not reach the closed store's subscription.
      await ctx.store.append(stream, newEvents(1), 'any');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(seen).toEqual([0, 1]);
    });
  });
}
