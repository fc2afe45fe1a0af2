/**
 * Restart recovery split between workers on the durable stores (issue 10): workers that start
 * at once claim disjoint batches of the open sagas (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite:
 * one IMMEDIATE transaction per claim), and, with worker liveness, a worker does not load the
 * sagas the others drive, so each saga is loaded about once in all instead of once per worker.
 * A worker that dies holding claims it never drove strands them only until its claims run out:
 * another worker's sweep takes them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/index.js';
import { createSqliteEventStore } from '../../src/stores/sqlite/index.js';
import { openTestStore } from '../support/postgresTestStore.js';
import { recoverTogether, strandSagas } from '../support/recoverySplit.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-split-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `count` store objects over one store. */
const stores: Record<string, (count: number) => Promise<EventStore[]>> = {
  SQLite: async (count) => {
    const path = join(dir, `${Math.random().toString(36).slice(2)}.db`);
    return Array.from({ length: count }, () => createSqliteEventStore({ path }));
  },
  PostgreSQL: async (count) => {
    const first = await openTestStore();
    return [first, ...(await Promise.all(Array.from({ length: count - 1 }, () => openTestStore({ schema: first.schema }))))];
  },
};

describe.each(Object.keys(stores))('restart recovery split between workers (%s)', (kind) => {
  const open = stores[kind] as (count: number) => Promise<EventStore[]>;

  it('three workers starting at once load 300 stranded sagas about once each in all, each taking a share, and all complete', async () => {
    const all = await open(3);
    try {
      const ids = await strandSagas(all[0] as EventStore, 300);
      const { readsPerWorker, recoveredPerWorker, completed } = await recoverTogether(all, ids);
      expect(completed).toBe(300);
      expect(recoveredPerWorker.reduce((a, b) => a + b, 0)).toBe(300);
      for (const share of recoveredPerWorker) expect(share).toBeGreaterThan(0);
      // Every worker taking every saga would read at least 900 streams (and race for each).
      expect(
        readsPerWorker.reduce((a, b) => a + b, 0),
        `reads per worker: ${readsPerWorker.join(', ')}`,
      ).toBeLessThan(600);
    } finally {
      await Promise.all(all.map((s) => s.close()));
    }
  });

  it('sagas claimed by a worker that died before driving them are taken by a live worker once the claims run out', async () => {
    const [store] = (await open(1)) as [EventStore];
    try {
      const ids = await strandSagas(store, 20);
      // A worker claimed them all, then died.
      const claimed = await store.openStreams?.claim?.({ streamPrefix: 'saga-', limit: 100, owner: 'died-after-claiming', leaseMs: 6_000, now: Date.now() });
      expect(claimed?.streamIds).toHaveLength(20);
      const startedAt = Date.now();
      const { recoveredPerWorker, completed } = await recoverTogether([store], ids);
      expect({ recoveredPerWorker, completed }).toEqual({ recoveredPerWorker: [20], completed: 20 });
      // Not before the dead worker's claims ran out (the live worker's own start claimed nothing).
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(5_900);
    } finally {
      await store.close();
    }
  });
});
