import { describe, expect, it } from 'vitest';
import { violations } from '../../../src/core/index.js';
import { createInMemoryEventStore } from '../../../src/index.js';
import { runParallelCase } from '../../support/parallelGroupCase.js';

describe('a parallel group on the engine (in-memory store)', () => {
  it('runs its branches at once; the step after the group sees every output', async () => {
    const { log, result, state } = await runParallelCase(createInMemoryEventStore(), false);
    expect(log).toEqual(['car booked', 'pay for room 7, LX 1, compact']);
    expect(result).toMatchObject({ status: 'completed' });
    expect(violations(state)).toEqual([]);
  });

  it("a permanent failure of one branch fires the running branch's signal, then compensates in reverse completion order, then the earlier steps", async () => {
    const { log, result, state } = await runParallelCase(createInMemoryEventStore());
    expect(log).toEqual(['car booked', 'flight refused', 'hotel aborted', 'undo hotel', 'undo car', 'undo reserve']);
    expect(result).toMatchObject({ status: 'compensated', compensated: ['hotel', 'car', 'reserve'] });
    expect(state.compensation).toMatchObject({ cause: 'permanent', failedStep: 'flight', plan: ['hotel', 'car', 'reserve'] });
    expect(violations(state)).toEqual([]);
  });
});
