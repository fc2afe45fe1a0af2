/** Contract cases: expected revisions, append results and idempotent re-appends. */
import { describe, expect, it } from 'vitest';
import { StreamVersionConflictError } from '../../core/errors.js';
import type { EventStore, ExpectedRevision, NewEvent } from '../../stores/eventStore.js';
import { newEvent, newEvents, uniqueStream, type ContractContext } from './contractContext.js';

/** Awaits a conflict and returns it, to check its details. */
async function expectConflict(store: EventStore, stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<StreamVersionConflictError> {
  const error: unknown = await store.append(stream, events, expected).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StreamVersionConflictError);
  return error as StreamVersionConflictError;
}

const ids = (events: { id: string }[]): string[] => events.map((event) => event.id);

export function appendCases(ctx: ContractContext): void {
  describe('append and expected revision', () => {
    it("appends to a new stream with 'no_stream': revisions from 0, result names the last event", async () => {
      const stream = uniqueStream();
      const events = newEvents(3);
      const result = await ctx.store.append(stream, events, 'no_stream');
      const read = await ctx.store.readStream(stream);
      expect(ids(read)).toEqual(ids(events));
      expect(read.map((e) => e.revision)).toEqual([0, 1, 2]);
      expect(read.every((e) => e.streamId === stream)).toBe(true);
      expect(result.nextRevision).toBe(2);
      expect(result.position).toBe(read[2]!.position);
      expect(read[0]!.position).toBeGreaterThan(0);
      expect(read[0]!.position).toBeLessThan(read[1]!.position);
      expect(read[1]!.position).toBeLessThan(read[2]!.position);
    });

    it('appends at the right numeric revision; positions keep increasing', async () => {
      const stream = uniqueStream();
      const first = await ctx.store.append(stream, [newEvent()], 'no_stream');
      const second = await ctx.store.append(stream, newEvents(2), first.nextRevision);
      expect(second.nextRevision).toBe(2);
      expect(second.position).toBeGreaterThan(first.position);
      const third = await ctx.store.append(stream, [newEvent()], 2);
      expect(third.nextRevision).toBe(3);
      expect((await ctx.store.readStream(stream)).map((e) => e.revision)).toEqual([0, 1, 2, 3]);
    });

    it("rejects 'no_stream' on an existing stream and appends nothing", async () => {
      const stream = uniqueStream();
      await ctx.store.append(stream, [newEvent()], 'no_stream');
      const error = await expectConflict(ctx.store, stream, [newEvent()], 'no_stream');
      expect(error.details).toMatchObject({ streamId: stream, expected: 'no_stream', actual: 0 });
      expect(await ctx.store.readStream(stream)).toHaveLength(1);
    });

    it('rejects a wrong numeric revision (too low, too high, missing stream) with expected/actual details', async () => {
      const stream = uniqueStream();
      await ctx.store.append(stream, newEvents(3), 'no_stream');
      const low = await expectConflict(ctx.store, stream, [newEvent()], 0);
      expect(low.details).toMatchObject({ streamId: stream, expected: 0, actual: 2 });
      const high = await expectConflict(ctx.store, stream, [newEvent()], 7);
      expect(high.details).toMatchObject({ expected: 7, actual: 2 });
      expect(await ctx.store.readStream(stream)).toHaveLength(3);
      const missing = uniqueStream();
      const none = await expectConflict(ctx.store, missing, [newEvent()], 0);
      expect(none.details).toMatchObject({ streamId: missing, expected: 0, actual: 'no_stream' });
      expect(await ctx.store.readStream(missing)).toEqual([]);
    });

    it("'any' appends to a new and to an existing stream without a check", async () => {
      const stream = uniqueStream();
      expect((await ctx.store.append(stream, [newEvent()], 'any')).nextRevision).toBe(0);
      expect((await ctx.store.append(stream, newEvents(2), 'any')).nextRevision).toBe(2);
      expect((await ctx.store.readStream(stream)).map((e) => e.revision)).toEqual([0, 1, 2]);
    });

    it('rejects malformed batches (empty, duplicate ids, non-UUID id, no type) with TypeError', async () => {
      const stream = uniqueStream();
      const event = newEvent();
      await expect(ctx.store.append(stream, [], 'any')).rejects.toBeInstanceOf(TypeError);
      await expect(ctx.store.append(stream, [event, { ...event }], 'any')).rejects.toBeInstanceOf(TypeError);
      await expect(ctx.store.append(stream, [{ ...event, id: 'not-a-uuid' }], 'any')).rejects.toBeInstanceOf(TypeError);
      await expect(ctx.store.append(stream, [{ ...event, type: '' }], 'any')).rejects.toBeInstanceOf(TypeError);
      await expect(ctx.store.append(stream, [event], -1)).rejects.toBeInstanceOf(TypeError);
      expect(await ctx.store.readStream(stream)).toEqual([]);
    });
  });

  describe('idempotent re-append (same event ids, same expected revision)', () => {
    it("returns the original result for a single event at 'no_stream' and stores it once", async () => {
      const stream = uniqueStream();
      const event = newEvent('Started', { n: 1 });
      const first = await ctx.store.append(stream, [event], 'no_stream');
      const again = await ctx.store.append(stream, [event], 'no_stream');
      expect(again).toEqual(first);
      expect(ids(await ctx.store.readStream(stream))).toEqual([event.id]);
    });

    it('returns the original result for a batch at a numeric revision, even after the stream moved on', async () => {
      const stream = uniqueStream();
      await ctx.store.append(stream, [newEvent()], 'no_stream');
      const batch = newEvents(3);
      const first = await ctx.store.append(stream, batch, 0);
      expect(await ctx.store.append(stream, batch, 0)).toEqual(first);
      await ctx.store.append(stream, [newEvent()], first.nextRevision);
      // A writer whose reply was lost retries later: still the original result.
      expect(await ctx.store.append(stream, batch, 0)).toEqual(first);
      const read = await ctx.store.readStream(stream);
      expect(read).toHaveLength(5);
      expect(new Set(ids(read)).size).toBe(5);
    });

    it("returns the original result for a re-append with 'any'", async () => {
      const stream = uniqueStream();
      await ctx.store.append(stream, [newEvent()], 'any');
      const batch = newEvents(2);
      const first = await ctx.store.append(stream, batch, 'any');
      expect(await ctx.store.append(stream, batch, 'any')).toEqual(first);
      expect(await ctx.store.append(stream, [batch[0]!], 'any')).toEqual({ nextRevision: 1, position: (await ctx.store.readStream(stream))[1]!.position });
      expect(await ctx.store.readStream(stream)).toHaveLength(3);
    });

    it('rejects a batch that only partly matches what was appended there, and appends nothing', async () => {
      const stream = uniqueStream();
      const batch = newEvents(2);
      await ctx.store.append(stream, batch, 'no_stream');
      await expectConflict(ctx.store, stream, [batch[0]!, newEvent()], 'no_stream');
      await expectConflict(ctx.store, stream, [...batch, newEvent()], 'no_stream');
      await expectConflict(ctx.store, stream, newEvents(2), 'no_stream');
      expect(ids(await ctx.store.readStream(stream))).toEqual(ids(batch));
    });
  });
}
