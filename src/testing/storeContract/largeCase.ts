/** The opt-in large case: 100,000 events across streams, read back page by page. */
import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../../stores/eventStore.js';
import { markPosition, newEvent, uniqueStream, type ContractContext } from './contractContext.js';

const STREAMS = 100;
const BATCH = 250;
const PAGE = 5_000;

export function largeCase(ctx: ContractContext): void {
  describe('large', () => {
    it(`appends ${ctx.options.largeEventCount} events across ${STREAMS} streams in batches and reads them back by readAll pages`, {
      timeout: ctx.options.largeTimeoutMs,
    }, async () => {
      const total = ctx.options.largeEventCount;
      const start = await markPosition(ctx.store);
      const prefix = `${uniqueStream()}-`;
      const revisions = new Array<number>(STREAMS).fill(-1);
      // A few appenders at a time, like several workers. Stream b % STREAMS of batch b always
      // belongs to appender b % appenders (STREAMS is a multiple of it), so revisions[] has one writer per slot.
      const appenders = 4;
      let next = 0;
      await Promise.all(
        Array.from({ length: appenders }, async (_, a) => {
          for (let b = a; b * BATCH < total; b += appenders) {
            const s = b % STREAMS;
            const count = Math.min(BATCH, total - b * BATCH);
            const events: NewEvent[] = Array.from({ length: count }, (_, i) => newEvent('Bulk', { n: b * BATCH + i, pad: 'p'.repeat(64) }));
            const expected = revisions[s]! < 0 ? 'no_stream' : revisions[s]!;
            revisions[s] = (await ctx.store.append(`${prefix}${s}`, events, expected)).nextRevision;
            next += count;
          }
        }),
      );
      expect(next).toBe(total);

      let after = start;
      let read = 0;
      const perStream = new Array<number>(STREAMS).fill(0);
      const seenNumbers = new Uint8Array(total);
      for (;;) {
        const page = await ctx.store.readAll({ after, streamPrefix: prefix, maxCount: PAGE });
        for (const event of page) {
          if (event.position <= after) throw new Error(`position ${event.position} after ${after}`);
          after = event.position;
          const s = Number(event.streamId.slice(prefix.length));
          // Each stream's revisions come in order, without gaps.
          if (event.revision !== perStream[s]) throw new Error(`${event.streamId}: revision ${event.revision}, expected ${perStream[s]}`);
          perStream[s]!++;
          const n = (event.data as { n: number }).n;
          if (seenNumbers[n]) throw new Error(`event ${n} read twice`);
          seenNumbers[n] = 1;
        }
        read += page.length;
        if (page.length < PAGE) break;
      }
      expect(read).toBe(total);
      expect(perStream.reduce((sum, n) => sum + n, 0)).toBe(total);
      expect(perStream.map((n) => n - 1)).toEqual(revisions);
    });
  });
}
