/** Contract cases: concurrent writers and readers. The store must lose, repeat or reorder nothing. */
import { describe, expect, it } from 'vitest';
import { StreamVersionConflictError } from '../../core/errors.js';
import type { EventStore, RecordedEvent } from '../../stores/eventStore.js';
import { batchCases } from './batchCases.js';
import { isStrictlyIncreasing, markPosition, newEvent, readAllPaged, uniqueStream, type ContractContext } from './contractContext.js';

/** Appends `batches` batches of `size` events with "read the last revision, append at it, retry on conflict". */
async function optimisticWriter(store: EventStore, stream: string, writer: number, batches: number, size: number): Promise<string[][]> {
  const written: string[][] = [];
  for (let k = 0; k < batches; k++) {
    const events = Array.from({ length: size }, (_, i) => newEvent('Written', { writer, k, i }, { batch: `${writer}/${k}` }));
    for (;;) {
      const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
      try {
        await store.append(stream, events, last === undefined ? 'no_stream' : last.revision);
        break;
      } catch (error) {
        if (!(error instanceof StreamVersionConflictError)) throw error;
      }
    }
    written.push(events.map((event) => event.id));
  }
  return written;
}

/** True when the events of each batch (by metadata.batch) are adjacent, in order. */
function batchesAreContiguous(events: RecordedEvent[]): boolean {
  const seen = new Set<string>();
  let previous: unknown;
  for (const event of events) {
    const batch = String(event.metadata.batch);
    if (batch !== previous && seen.has(batch)) return false;
    seen.add(batch);
    previous = batch;
  }
  return true;
}

export function concurrencyCases(ctx: ContractContext): void {
  describe('concurrency', () => {
    it('8 optimistic writers on one stream lose nothing and duplicate nothing', async () => {
      const stream = uniqueStream();
      const written = await Promise.all(Array.from({ length: 8 }, (_, w) => optimisticWriter(ctx.store, stream, w, 10, (w % 3) + 1)));
      const expectedIds = written.flat(2);
      const read = await ctx.store.readStream(stream);
      expect(read.map((e) => e.revision)).toEqual(expectedIds.map((_, i) => i));
      expect([...read.map((e) => e.id)].sort()).toEqual([...expectedIds].sort());
      expect(batchesAreContiguous(read)).toBe(true);
      // Each writer's own batches keep their order.
      for (const [w, batches] of written.entries()) {
        const mine = read.filter((e) => (e.data as { writer: number }).writer === w).map((e) => e.id);
        expect(mine).toEqual(batches.flat());
      }
    });

    it('concurrent appenders to many streams: every stream gapless, readAll ordered, batches adjacent', async () => {
      const start = await markPosition(ctx.store);
      const base = uniqueStream();
      const streams = Array.from({ length: 16 }, (_, s) => `${base}-${s}`);
      await Promise.all(
        streams.map(async (stream) => {
          for (let k = 0; k < 5; k++) {
            const batch = [newEvent('A', { k }, { batch: `${stream}/${k}` }), newEvent('B', { k }, { batch: `${stream}/${k}` })];
            await ctx.store.append(stream, batch, k === 0 ? 'no_stream' : 2 * k - 1);
          }
        }),
      );
      for (const stream of streams) {
        expect((await ctx.store.readStream(stream)).map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      }
      const all = await readAllPaged(ctx.store, start, `${base}-`, 37);
      expect(all).toHaveLength(160);
      expect(isStrictlyIncreasing(all.map((e) => e.position))).toBe(true);
      expect(batchesAreContiguous(all)).toBe(true);
    });

    it('pollers of readAll during concurrent appends never see an event appear behind them', async () => {
      const start = await markPosition(ctx.store);
      const base = uniqueStream();
      const prefix = `${base}-`;
      let writing = true;
      const poll = async (): Promise<RecordedEvent[]> => {
        const seen: RecordedEvent[] = [];
        let after = start;
        for (let draining = false; ; ) {
          const page = await ctx.store.readAll({ after, streamPrefix: prefix, maxCount: 7 });
          expect(page.every((e) => e.position > after)).toBe(true);
          seen.push(...page);
          if (page.length > 0) after = page.at(-1)!.position;
          // One more full pass after the writers stopped, to drain what they left.
          if (page.length === 0 && draining) return seen;
          if (!writing) draining = true;
          if (page.length === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      };
      const pollers = Promise.all([poll(), poll(), poll()]);
      pollers.catch(() => undefined); // reported by the await below, not as an unhandled rejection
      await Promise.all(
        Array.from({ length: 6 }, async (_, w) => {
          for (let k = 0; k < 15; k++) await ctx.store.append(`${prefix}${w % 3}`, [newEvent('P', { w, k })], 'any');
        }),
      );
      writing = false;
      const seenByPollers = await pollers;
      const final = (await readAllPaged(ctx.store, start, prefix)).map((e) => e.id);
      expect(final).toHaveLength(90);
      for (const seen of seenByPollers) expect(seen.map((e) => e.id)).toEqual(final);
    });
  });
  batchCases(ctx);
}
