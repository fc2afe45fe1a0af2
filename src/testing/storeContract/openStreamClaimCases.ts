/**
 * Claims on the open-stream index (`openStreams.claim`), for stores that declare them: owners
 * that claim at once get disjoint pages, an owner's own claims are listed again (renewed), a
 * claim that runs out is claimable by others, `expiredOnly` leaves never-claimed entries alone,
 * and appends still close claimed entries.
 */
import { v7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../../stores/eventStore.js';
import type { ClaimOpenStreamsOptions, OpenStreamsPage } from '../../stores/openStreamIndex.js';
import { newEvent, type ContractContext } from './contractContext.js';

export function openStreamClaimCases(ctx: ContractContext): void {
  describe('open-stream index: claims', () => {
    /** Claims now (by this process's clock). */
    const claim = (options: Omit<ClaimOpenStreamsOptions, 'now'>): Promise<OpenStreamsPage> => {
      const index = ctx.store.openStreams;
      if (!index?.claim) throw new Error('the store was declared with openStreamClaims: true, but has no store.openStreams.claim');
      return index.claim({ ...options, now: Date.now() });
    };
    /** `count` open streams under a fresh prefix, with a planner for them (as the runtime installs one). */
    const openStreams = async (count: number): Promise<{ prefix: string; names: string[] }> => {
      const prefix = `saga-${v7()}-`;
      ctx.store.openStreams?.usePlanner((streamId: string, events: readonly NewEvent[]) =>
        streamId.startsWith(prefix) ? (events.at(-1)?.type === 'Close' ? 'close' : 'open') : undefined,
      );
      const names = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
      for (const name of names) await ctx.store.append(name, [newEvent('Open')], 'no_stream');
      return { prefix, names };
    };

    it('gives owners that claim at once disjoint pages that together cover every open stream, and an owner its own claims again', async () => {
      const { prefix, names } = await openStreams(9);
      const pages = await Promise.all(['a', 'b', 'c'].map((owner) => claim({ streamPrefix: prefix, limit: 4, owner, leaseMs: 60_000 })));
      const claimed = pages.flatMap((p) => p.streamIds);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect([...claimed].sort()).toEqual([...names].sort());
      expect((await claim({ streamPrefix: prefix, limit: 20, owner: 'a', leaseMs: 60_000 })).streamIds).toEqual(pages[0]?.streamIds);
      const late = await claim({ streamPrefix: prefix, limit: 20, owner: 'd', leaseMs: 60_000 });
      expect({ streamIds: late.streamIds, heldByOthers: late.heldByOthers }).toEqual({ streamIds: [], heldByOthers: true });
    });

    it('says whether other owners hold claims, and takes claims by the claimer’s clock', async () => {
      const { prefix, names } = await openStreams(2);
      const index = ctx.store.openStreams;
      if (!index?.claim) throw new Error('no store.openStreams.claim');
      const t = Date.now();
      expect((await index.claim({ streamPrefix: prefix, limit: 1, owner: 'a', leaseMs: 1_000, now: t })).heldByOthers).toBe(false);
      // By b's clock a's claim still holds at t + 999 and has run out at t + 1000.
      const early = await index.claim({ streamPrefix: prefix, limit: 10, owner: 'b', leaseMs: 1_000, now: t + 999 });
      expect({ streamIds: early.streamIds, heldByOthers: early.heldByOthers }).toEqual({ streamIds: [names[1]], heldByOthers: true });
      const later = await index.claim({ streamPrefix: prefix, limit: 10, owner: 'c', leaseMs: 1_000, now: t + 1_000, expiredOnly: true });
      expect(later.streamIds).toEqual([names[0]]);
    });

    it('makes a claim that ran out claimable by another owner; expiredOnly takes those but no never-claimed entry', async () => {
      const { prefix, names } = await openStreams(4);
      const [first, second, ...rest] = names;
      // Two claimed by an owner that then "dies"; two never claimed.
      const dying = await claim({ streamPrefix: prefix, limit: 2, owner: 'dies', leaseMs: 150 });
      expect(dying.streamIds).toEqual([first, second]);
      expect((await claim({ streamPrefix: prefix, limit: 10, owner: 'sweeper', leaseMs: 60_000, expiredOnly: true })).streamIds).toEqual([]);
      await new Promise((r) => setTimeout(r, 300));
      expect((await claim({ streamPrefix: prefix, limit: 10, owner: 'sweeper', leaseMs: 60_000, expiredOnly: true })).streamIds).toEqual([first, second]);
      expect((await claim({ streamPrefix: prefix, limit: 10, owner: 'starter', leaseMs: 60_000 })).streamIds).toEqual(rest);
    });

    it('lets appends close a claimed entry: it is claimed by no one after', async () => {
      const { prefix, names } = await openStreams(2);
      await claim({ streamPrefix: prefix, limit: 10, owner: 'a', leaseMs: 60_000 });
      await ctx.store.append(names[0] as string, [newEvent('Close')], 0);
      expect((await claim({ streamPrefix: prefix, limit: 10, owner: 'a', leaseMs: 60_000 })).streamIds).toEqual([names[1]]);
      expect((await ctx.store.openStreams?.list({ streamPrefix: prefix, limit: 10 }))?.streamIds).toEqual([names[1]]);
    });
  });
}
