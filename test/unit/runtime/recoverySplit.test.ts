/**
 * Workers that start together split the unfinished sagas (issue 10, "without a thundering
 * herd"): on a store that can claim open sagas, each worker claims a share instead of all of
 * them. Memory store here (no worker liveness, so its followers still load the sagas others
 * move, to watch their leases); PostgreSQL, where each saga is loaded about once in all, in
 * test/integration/postgres.recoverySplit.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createInMemoryEventStore } from '../../../src/index.js';
import { recoverTogether, strandSagas } from '../../support/recoverySplit.js';

describe('restart recovery split between workers (memory store)', () => {
  it('three workers starting at once claim disjoint shares of 300 stranded sagas that add up to all of them, and all complete', async () => {
    const store = createInMemoryEventStore();
    const ids = await strandSagas(store, 300);
    const { recoveredPerWorker, completed } = await recoverTogether([store, store, store], ids);
    expect(completed).toBe(300);
    expect(recoveredPerWorker.reduce((a, b) => a + b, 0)).toBe(300);
    for (const share of recoveredPerWorker) expect(share).toBeGreaterThan(0);
  });

  it('a worker that starts alone takes every stranded saga, batch after batch', async () => {
    const store = createInMemoryEventStore();
    const ids = await strandSagas(store, 200);
    const { recoveredPerWorker, completed } = await recoverTogether([store], ids);
    expect({ recoveredPerWorker, completed }).toEqual({ recoveredPerWorker: [200], completed: 200 });
  });
});
