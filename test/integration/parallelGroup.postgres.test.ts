/** A parallel group on the PostgreSQL cluster the suite starts: fan-out, fan-in, and a branch's permanent failure. */
import { describe, expect, it } from 'vitest';
import { violations } from '../../src/core/index.js';
import { openTestStore } from '../support/postgresTestStore.js';
import { runParallelCase } from '../support/parallelGroupCase.js';

describe('a parallel group on PostgreSQL', () => {
  it('completes with every branch output seen by the step after the group', async () => {
    const store = await openTestStore();
    try {
      const { log, result, state } = await runParallelCase(store, false);
      expect(log).toEqual(['car booked', 'pay for room 7, LX 1, compact']);
      expect(result).toMatchObject({ status: 'completed' });
      expect(violations(state)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("a branch's permanent failure aborts the running branch's signal and compensates in reverse completion order, then the earlier steps", async () => {
    const store = await openTestStore();
    try {
      const { log, result, state, types } = await runParallelCase(store);
      expect(log).toEqual(['car booked', 'flight refused', 'hotel aborted', 'undo hotel', 'undo car', 'undo reserve']);
      expect(result).toMatchObject({ status: 'compensated', compensated: ['hotel', 'car', 'reserve'] });
      expect(state.compensation?.plan).toEqual(['hotel', 'car', 'reserve']);
      expect(types.filter((t) => t === 'StepStarted')).toHaveLength(4);
      expect(violations(state)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
