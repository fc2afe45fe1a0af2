/**
 * Contract cases: appends to many streams issued at the same moment. A store may send them to
 * storage together (group commit); each append must still succeed or fail on its own.
 */
import { describe, expect, it } from 'vitest';
import { StreamVersionConflictError } from '../../core/errors.js';
import type { AppendResult } from '../../stores/eventStore.js';
import { isStrictlyIncreasing, markPosition, newEvent, newEvents, readAllPaged, uniqueStream, type ContractContext } from './contractContext.js';

export function batchCases(ctx: ContractContext): void {
  describe('appends issued together', () => {
    it('20 appends to 20 streams in one tick: the one with a wrong expected revision fails alone', async () => {
      const base = uniqueStream();
      const streams = Array.from({ length: 20 }, (_, s) => `${base}-${s}`);
      await Promise.all(streams.map((stream) => ctx.store.append(stream, newEvents(2, 'First'), 'no_stream')));
      const batches = streams.map((_, s) => newEvents(1 + (s % 3), 'Second'));
      // No await between the calls: a batching store sees all 20 at once.
      const settled = await Promise.allSettled(streams.map((stream, s) => ctx.store.append(stream, batches[s]!, s === 7 ? 5 : 1)));
      for (const [s, outcome] of settled.entries()) {
        if (s === 7) {
          expect(outcome.status).toBe('rejected');
          const error = (outcome as PromiseRejectedResult).reason as StreamVersionConflictError;
          expect(error).toBeInstanceOf(StreamVersionConflictError);
          expect(error.details).toMatchObject({ streamId: streams[7], expected: 5, actual: 1 });
          continue;
        }
        expect(outcome.status).toBe('fulfilled');
        expect((outcome as PromiseFulfilledResult<AppendResult>).value.nextRevision).toBe(1 + batches[s]!.length);
      }
      for (const [s, stream] of streams.entries()) {
        const read = await ctx.store.readStream(stream);
        const expected = s === 7 ? 2 : 2 + batches[s]!.length;
        expect(read.map((e) => e.revision)).toEqual(Array.from({ length: expected }, (_, i) => i));
        if (s !== 7) expect(read.slice(2).map((e) => e.id)).toEqual(batches[s]!.map((e) => e.id));
      }
      const all = await readAllPaged(ctx.store, 0, `${base}-`);
      expect(all).toHaveLength(streams.reduce((sum, _, s) => sum + (s === 7 ? 2 : 2 + batches[s]!.length), 0));
    });

    it('an idempotent retry, in one tick with fresh appends, returns the original result; the others append', async () => {
      const base = uniqueStream();
      const first = newEvents(2);
      const done = await ctx.store.append(`${base}-a`, first, 'no_stream');
      const [retry, fresh, other] = await Promise.allSettled([
        ctx.store.append(`${base}-a`, first, 'no_stream'),
        ctx.store.append(`${base}-d`, newEvents(3), 'no_stream'),
        ctx.store.append(`${base}-e`, [newEvent('New')], 'no_stream'),
      ]);
      expect(retry).toEqual({ status: 'fulfilled', value: done });
      expect(fresh).toMatchObject({ status: 'fulfilled', value: { nextRevision: 2 } });
      expect(other).toMatchObject({ status: 'fulfilled', value: { nextRevision: 0 } });
      expect(await ctx.store.readStream(`${base}-a`)).toHaveLength(2);
    });

    it('many concurrent appends to distinct streams get distinct positions, increasing in readAll, each read once', async () => {
      const start = await markPosition(ctx.store);
      const base = uniqueStream();
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, s) => ctx.store.append(`${base}-${s}`, [newEvent('Many', { s })], 'no_stream').then((r) => ({ s, ...r }))),
      );
      const positions = results.map((r) => r.position);
      expect(new Set(positions).size).toBe(200);
      expect(positions.every((p) => p > start)).toBe(true);
      const all = await readAllPaged(ctx.store, start, `${base}-`, 23);
      expect(all).toHaveLength(200);
      expect(new Set(all.map((e) => e.id)).size).toBe(200);
      expect(isStrictlyIncreasing(all.map((e) => e.position))).toBe(true);
      const byStream = new Map(results.map((r) => [`${base}-${r.s}`, r.position]));
      for (const event of all) expect(event.position).toBe(byStream.get(event.streamId));
    });
  });
}
