/** Contract cases: subscribeToAll, catch-up then live, exactly once, in order, with backpressure. */
import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../stores/eventStore.js';
import { markPosition, newEvent, newEvents, readAllPaged, sleep, uniqueStream, waitUntil, type ContractContext } from './contractContext.js';

/** Time to wait after the expected last delivery for anything extra (a duplicate) to show up. */
const QUIET_MS = 150;

const ids = (events: { id: string }[]): string[] => events.map((event) => event.id);

export function subscriptionCases(ctx: ContractContext): void {
  const timeout = (): number => ctx.options.deliveryTimeoutMs;

  describe('subscribeToAll', () => {
    it('delivers each event exactly once, in order, across the catch-up/live switch; onCaughtUp once', async () => {
      const start = await markPosition(ctx.store);
      const prefix = `${uniqueStream()}-`;
      await ctx.store.append(`${prefix}a`, newEvents(3), 'no_stream');
      await ctx.store.append(`${prefix}b`, newEvents(1), 'no_stream');
      await ctx.store.append(`${prefix}a`, newEvents(1), 2);
      const seen: RecordedEvent[] = [];
      const errors: unknown[] = [];
      let caughtUp = 0;
      let seenAtCaughtUp = -1;
      const sub = ctx.store.subscribeToAll({
        after: start,
        streamPrefix: prefix,
        onEvent: async (event) => {
          seen.push(event);
          // Appended while the subscription is still catching up.
          if (seen.length === 1) await ctx.store.append(`${prefix}c`, newEvents(3), 'no_stream');
          await sleep(1);
        },
        onCaughtUp: () => {
          caughtUp++;
          seenAtCaughtUp = seen.length;
        },
        onError: (error) => errors.push(error),
      });
      try {
        await waitUntil(() => caughtUp > 0, timeout(), 'onCaughtUp');
        expect(seenAtCaughtUp).toBeGreaterThanOrEqual(5);
        // Live: concurrent appends, then sequential ones with pauses (an idle subscription must wake).
        await Promise.all([ctx.store.append(`${prefix}d`, newEvents(2), 'no_stream'), ctx.store.append(`${prefix}e`, newEvents(1), 'no_stream')]);
        for (let k = 0; k < 4; k++) {
          await ctx.store.append(`${prefix}f`, [newEvent('Live', { k })], k === 0 ? 'no_stream' : k - 1);
          await sleep(20);
        }
        const expected = await readAllPaged(ctx.store, start, prefix);
        expect(expected).toHaveLength(15); // 5 before, 3 during catch-up, 7 live
        await waitUntil(() => seen.length >= expected.length, timeout(), `${expected.length} deliveries`);
        await sleep(QUIET_MS);
        expect(ids(seen)).toEqual(ids(expected));
        expect(seen).toEqual(expected);
        expect(caughtUp).toBe(1);
        expect(errors).toEqual([]);
      } finally {
        await sub.unsubscribe();
      }
    });

    it('starts from the beginning when `after` is omitted', async () => {
      const prefix = `${uniqueStream()}-`;
      await ctx.store.append(`${prefix}x`, newEvents(2), 'no_stream');
      const seen: RecordedEvent[] = [];
      const sub = ctx.store.subscribeToAll({ streamPrefix: prefix, onEvent: (event) => void seen.push(event) });
      try {
        await waitUntil(() => seen.length >= 2, timeout(), '2 deliveries');
        expect(ids(seen)).toEqual(ids(await ctx.store.readStream(`${prefix}x`)));
      } finally {
        await sub.unsubscribe();
      }
    });

    it('awaits the handler: the next event is delivered only after the previous promise settled', async () => {
      const start = await markPosition(ctx.store);
      const stream = uniqueStream();
      await ctx.store.append(stream, newEvents(4), 'no_stream');
      let active = 0;
      let maxActive = 0;
      const order: number[] = [];
      const sub = ctx.store.subscribeToAll({
        after: start,
        streamPrefix: stream,
        onEvent: async (event) => {
          active++;
          maxActive = Math.max(maxActive, active);
          await sleep(15);
          order.push(event.revision);
          active--;
        },
      });
      try {
        await ctx.store.append(stream, newEvents(2), 3);
        await waitUntil(() => order.length >= 6, timeout(), '6 deliveries');
        expect(order).toEqual([0, 1, 2, 3, 4, 5]);
        expect(maxActive).toBe(1);
      } finally {
        await sub.unsubscribe();
      }
    });

    it('stops with onError when the handler throws or rejects, delivering nothing after', async () => {
      for (const fail of [
        () => {
          throw new Error('boom');
        },
        () => Promise.reject(new Error('boom')),
      ]) {
        const start = await markPosition(ctx.store);
        const stream = uniqueStream();
        await ctx.store.append(stream, newEvents(3), 'no_stream');
        const seen: number[] = [];
        const errors: unknown[] = [];
        const sub = ctx.store.subscribeToAll({
          after: start,
          streamPrefix: stream,
          onEvent: (event) => {
            seen.push(event.revision);
            return event.revision === 1 ? fail() : undefined;
          },
          onError: (error) => errors.push(error),
        });
        await waitUntil(() => errors.length > 0, timeout(), 'onError');
        await ctx.store.append(stream, newEvents(1), 2);
        await sleep(QUIET_MS);
        expect(seen).toEqual([0, 1]);
        expect(errors).toHaveLength(1);
        expect((errors[0] as Error).message).toBe('boom');
        await sub.unsubscribe();
      }
    });

    it('unsubscribe waits for the running handler, then nothing more is delivered', async () => {
      const start = await markPosition(ctx.store);
      const stream = uniqueStream();
      const seen: number[] = [];
      let handlerRunning = false;
      const errors: unknown[] = [];
      const sub = ctx.store.subscribeToAll({
        after: start,
        streamPrefix: stream,
        onEvent: async (event) => {
          handlerRunning = true;
          seen.push(event.revision);
          if (event.revision === 1) await sleep(60);
          handlerRunning = false;
        },
        onError: (error) => errors.push(error),
      });
      await ctx.store.append(stream, newEvents(3), 'no_stream');
      await waitUntil(() => seen.length >= 2, timeout(), '2 deliveries');
      await sub.unsubscribe();
      expect(handlerRunning).toBe(false);
      const count = seen.length;
      await ctx.store.append(stream, newEvents(2), 2);
      await sleep(QUIET_MS);
      expect(seen.length).toBe(count);
      expect(count).toBeLessThanOrEqual(3);
      expect(errors).toEqual([]);
      await sub.unsubscribe(); // idempotent
    });
  });
}
