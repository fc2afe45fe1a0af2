/**
 * Claims on the PostgreSQL open-stream index (`store.openStreams.claim`): workers that start at
 * once get disjoint pages (FOR UPDATE SKIP LOCKED, claim lease), a claim that runs out makes
 * the entry claimable again, and appends still open and close entries that are claimed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import type { NewEvent } from '../../src/stores/eventStore.js';
import type { PostgresEventStore } from '../../src/stores/postgres/index.js';
import { openTestStore, rawClient } from '../support/postgresTestStore.js';

let store: PostgresEventStore;
beforeAll(async () => {
  store = await openTestStore();
  store.openStreams.usePlanner((streamId, events) => (streamId.startsWith('claims-') ? (events.at(-1)?.type === 'Close' ? 'close' : 'open') : undefined));
});
afterAll(async () => {
  await store?.close();
});

const event = (type: string): NewEvent => ({ id: uuidv7(), type, data: {} });

/** Opens `n` streams under a fresh prefix; returns the prefix and the stream ids, oldest first. */
async function openStreams(n: number): Promise<{ prefix: string; ids: string[] }> {
  const prefix = `claims-${uuidv7()}-`;
  const ids = Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);
  for (const id of ids) await store.append(id, [event('Open')], 'no_stream');
  return { prefix, ids };
}

describe('postgres open-stream index: claims', () => {
  it('gives workers that claim at once disjoint pages that together cover every open stream; an owner renews its own', async () => {
    const { prefix, ids } = await openStreams(12);
    const pages = await Promise.all(
      ['a', 'b', 'c'].map((owner) => store.openStreams.claim({ streamPrefix: prefix, limit: 5, owner, leaseMs: 60_000, now: Date.now() })),
    );
    const claimed = pages.flatMap((p) => p.streamIds);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect([...claimed].sort()).toEqual(ids);
    expect(pages.every((p) => p.complete)).toBe(true);
    const mine = pages[0]!.streamIds;
    expect((await store.openStreams.claim({ streamPrefix: prefix, limit: 20, owner: 'a', leaseMs: 60_000, now: Date.now() })).streamIds).toEqual(mine);
    expect((await store.openStreams.claim({ streamPrefix: prefix, limit: 20, owner: 'd', leaseMs: 60_000, now: Date.now() })).streamIds).toEqual([]);
    // list ignores claims; appends still close a claimed entry.
    expect((await store.openStreams.list({ streamPrefix: prefix, limit: 20 })).streamIds).toEqual(ids);
    await store.append(ids[0]!, [event('Close')], 0);
    expect((await store.openStreams.list({ streamPrefix: prefix, limit: 20 })).streamIds).toEqual(ids.slice(1));
  });

  it('makes an entry claimable again once its claim runs out (its worker died)', async () => {
    const { prefix, ids } = await openStreams(3);
    expect((await store.openStreams.claim({ streamPrefix: prefix, limit: 10, owner: 'dies', leaseMs: 150, now: Date.now() })).streamIds).toEqual(ids);
    expect((await store.openStreams.claim({ streamPrefix: prefix, limit: 10, owner: 'next', leaseMs: 60_000, now: Date.now() })).streamIds).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await store.openStreams.claim({ streamPrefix: prefix, limit: 10, owner: 'next', leaseMs: 60_000, now: Date.now() })).streamIds).toEqual(ids);
  });

  it('skips rows another claimer holds locked instead of waiting (SKIP LOCKED), and pages with the cursor', async () => {
    const { prefix, ids } = await openStreams(6);
    const holder = await rawClient();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM "${store.schema}".open_streams WHERE stream_id = ANY($1) FOR UPDATE`, [ids.slice(0, 2)]);
      const began = Date.now();
      const first = await store.openStreams.claim({ streamPrefix: prefix, limit: 2, owner: 'w', leaseMs: 60_000, now: Date.now() });
      expect(Date.now() - began).toBeLessThan(2_000);
      expect(first.streamIds).toEqual(ids.slice(2, 4));
      const second = await store.openStreams.claim({ streamPrefix: prefix, limit: 2, owner: 'w', leaseMs: 60_000, after: first.next!, now: Date.now() });
      expect(second.streamIds).toEqual(ids.slice(4, 6));
      await holder.query('ROLLBACK');
      expect((await store.openStreams.claim({ streamPrefix: prefix, limit: 10, owner: 'v', leaseMs: 60_000, now: Date.now() })).streamIds).toEqual(
        ids.slice(0, 2),
      );
    } finally {
      await holder.end();
    }
  });

  it('gives the same position as list: a subscription from it delivers every later append', async () => {
    const { prefix } = await openStreams(1);
    const page = await store.openStreams.claim({ streamPrefix: prefix, limit: 10, owner: 'p', leaseMs: 60_000, now: Date.now() });
    const later = await store.append(`${prefix}later`, [event('Open')], 'no_stream');
    expect(page.position).toBeLessThan(later.position);
    expect((await store.readAll({ after: page.position, streamPrefix: prefix })).map((e) => e.streamId)).toContain(`${prefix}later`);
  });
});
