/**
 * The one rule core knows of child sagas: a cancel (or a deadline) that comes once a parent is
 * committing its children, or once a child waits for its parent's verdict, changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { COMMIT_CHILDREN_STEP, fold, sagaEvent, transition, VERDICT_STEP } from '../../../src/core/index.js';
import { modelOf, started, stepOf, stepStarted, stepSucceeded, T0 } from '../../support/coreFixtures.js';

const cancel = sagaEvent('SagaCancelRequested', { reason: 'stop', at: T0 + 5 });
const parent = modelOf([stepOf('shipping'), stepOf(COMMIT_CHILDREN_STEP, { compensable: false })]);
const child = modelOf([stepOf('pack'), stepOf(VERDICT_STEP, { compensable: false })]);

describe('cancel past the verdict or the commit', () => {
  it('a cancel while the parent commits its children is a fact without effect; before the commit it cancels', () => {
    const committing = fold([started(parent), stepStarted('shipping'), stepSucceeded('shipping'), stepStarted(COMMIT_CHILDREN_STEP), cancel]);
    expect(committing?.cancelRequested).toBeNull();
    const before = fold([started(parent), stepStarted('shipping'), cancel]);
    expect(before?.cancelRequested).toBe('stop');
  });

  it('a cancel while a child waits for its verdict is a fact without effect', () => {
    const awaited = sagaEvent('SignalAwaited', { step: VERDICT_STEP, attempt: 1, signal: 'sagaflow.parent-verdict', until: T0 + 1e9, at: T0 + 2 });
    const waiting = fold([started(child), stepStarted('pack'), stepSucceeded('pack'), awaited, cancel]);
    expect(waiting?.cancelRequested).toBeNull();
    expect(waiting?.status).toBe('running');
  });

  it('a deadline that passes while the parent commits appends no cancel', () => {
    const base = fold([started(parent), stepStarted('shipping'), stepSucceeded('shipping'), stepStarted(COMMIT_CHILDREN_STEP, 1, T0, 1e9)]);
    if (!base) throw new Error('no state');
    const state = { ...base, deadlineAt: T0 + 10 };
    const next = transition(
      parent,
      state,
      { type: 'Tick', now: T0 + 20 },
      { workerId: 'w1', leaseMs: 1_000, random: () => 0, draining: false, maxSnapshotBytes: 1e6 },
    );
    expect(next.events.map((e) => e.type)).not.toContain('SagaCancelRequested');
  });
});
