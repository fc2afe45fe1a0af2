/**
 * The open-stream index (openStreamIndex.ts), for stores that declare it: kept in the append's
 * own transaction by the installed planner, listed oldest first in pages, with a position from
 * which a subscription misses nothing; and completed by `adopt` on an upgraded store.
 */
import { v7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../../stores/eventStore.js';
import type { OpenStreamIndex } from '../../stores/openStreamIndex.js';
import { newEvent, type ContractContext } from './contractContext.js';

/** A planner for the streams under `prefix` only: 'Close' closes, anything else opens. */
function plannerFor(prefix: string) {
  return (streamId: string, events: readonly NewEvent[]) => (streamId.startsWith(prefix) ? (events.at(-1)?.type === 'Close' ? 'close' : 'open') : undefined);
}

export function openStreamCases(ctx: ContractContext): void {
  describe('open-stream index', () => {
    const index = (): OpenStreamIndex => {
      const found = ctx.store.openStreams;
      if (!found) throw new Error('the store was declared with openStreams: true, but has no store.openStreams');
      return found;
    };

    it('lists the streams the planner opened and no later append closed, oldest first, in pages', async () => {
      const prefix = `saga-${v7()}-`;
      index().usePlanner(plannerFor(prefix));
      const names = Array.from({ length: 7 }, (_, i) => `${prefix}${i}`);
      for (const name of names) await ctx.store.append(name, [newEvent('Open')], 'no_stream');
      await ctx.store.append(names[2] as string, [newEvent('Work')], 0); // still open, keeps its place
      await ctx.store.append(names[4] as string, [newEvent('Work'), newEvent('Close')], 0);
      const seen: string[] = [];
      let after: number | undefined;
      let pages = 0;
      do {
        const page = await index().list({ streamPrefix: prefix, limit: 2, ...(after === undefined ? {} : { after }) });
        expect(page.complete).toBe(true);
        seen.push(...page.streamIds);
        after = page.next;
        pages++;
      } while (after !== undefined && pages < 10);
      expect(seen).toEqual(names.filter((_, i) => i !== 4));
    });

    it('gives a position from which a subscription delivers every later append', async () => {
      const prefix = `saga-${v7()}-`;
      index().usePlanner(plannerFor(prefix));
      await ctx.store.append(`${prefix}before`, [newEvent('Open')], 'no_stream');
      const { position, streamIds } = await index().list({ streamPrefix: prefix, limit: 10 });
      expect(streamIds).toEqual([`${prefix}before`]);
      await ctx.store.append(`${prefix}after`, [newEvent('Open')], 'no_stream');
      const delivered = await ctx.store.readAll({ after: position, streamPrefix: prefix });
      expect(delivered.map((e) => e.streamId)).toEqual([`${prefix}after`]);
    });

    it('reopens a closed stream when an append opens it again, and ignores streams outside the planner', async () => {
      const prefix = `saga-${v7()}-`;
      index().usePlanner(plannerFor(prefix));
      const stream = `${prefix}parked`;
      await ctx.store.append(stream, [newEvent('Open'), newEvent('Close')], 'no_stream');
      expect((await index().list({ streamPrefix: prefix, limit: 10 })).streamIds).toEqual([]);
      await ctx.store.append(stream, [newEvent('Resumed')], 1);
      expect((await index().list({ streamPrefix: prefix, limit: 10 })).streamIds).toEqual([stream]);
      const other = `saga-${v7()}-x`;
      await ctx.store.append(other, [newEvent('Open')], 'no_stream');
      expect((await index().list({ streamPrefix: other.slice(0, -1), limit: 10 })).streamIds).toEqual([]);
    });

    it('adopt adds a scanned open stream, unless it has appends after the scan', async () => {
      const prefix = `saga-${v7()}-`;
      // Appended with no planner for this prefix: as if written before the store kept the index.
      index().usePlanner(plannerFor(`${prefix}none-`));
      await ctx.store.append(`${prefix}old`, [newEvent('Open')], 'no_stream');
      const closedLater = `${prefix}closed-later`;
      const { position: opened } = await ctx.store.append(closedLater, [newEvent('Open')], 'no_stream');
      const scannedTo = opened;
      index().usePlanner(plannerFor(prefix));
      await ctx.store.append(closedLater, [newEvent('Close')], 0);
      await index().adopt(
        [
          { streamId: `${prefix}old`, openedAt: opened - 1 },
          { streamId: closedLater, openedAt: opened },
        ],
        scannedTo,
      );
      expect((await index().list({ streamPrefix: prefix, limit: 10 })).streamIds).toEqual([`${prefix}old`]);
    });
  });
}
