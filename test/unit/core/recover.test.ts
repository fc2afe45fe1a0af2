import { describe, expect, it } from 'vitest';
import { sagaEvent, valid, canContinue } from '../../../src/core/index.js';
import { given } from '../../../src/testing/sagaSpec.js';
import { T0, compStarted, err, model, modelOf, started, stepOf, stepStarted, stepSucceeded, policy } from '../../support/coreFixtures.js';

const afterCharge = [
  started(),
  stepStarted('reserve'),
  stepSucceeded('reserve'),
  stepStarted('charge'),
  stepSucceeded('charge'),
  sagaEvent('CheckpointRecorded', { step: 'charge', snapshot: null, at: T0 }),
];
const ctx = { now: T0 + 10, random: 0.5 };

describe('recover(failure, state): the recovery function R', () => {
  it('transient: the first retries are immediate, then backoff (no jitter: exact delays)', () => {
    const spec = given(model, [started(), stepStarted('reserve', 1)]);
    spec
      .whenFailing({ phase: 'step', step: 'reserve', attempt: 1, kind: 'transient', error: err() }, ctx)
      .then([
        sagaEvent('StepFailed', { step: 'reserve', attempt: 1, kind: 'transient', exhausted: false, error: err(), at: T0 + 10 }),
        sagaEvent('RetryScheduled', { phase: 'step', step: 'reserve', attempt: 2, dueAt: T0 + 10, at: T0 + 10 }),
      ]);
    const third = given(model, [started(), stepStarted('reserve', 3)]).whenFailing(
      { phase: 'step', step: 'reserve', attempt: 3, kind: 'transient', error: err() },
      ctx,
    );
    expect(third.events[1]).toEqual(sagaEvent('RetryScheduled', { phase: 'step', step: 'reserve', attempt: 4, dueAt: T0 + 10 + 200, at: T0 + 10 }));
  });

  it('transient, retries exhausted: escalates to rollback and compensation of what completed', () => {
    const spec = given(model, [...afterCharge, stepStarted('ship', 4)]);
    const out = spec.whenFailing({ phase: 'step', step: 'ship', attempt: 4, kind: 'transient', error: err() }, ctx);
    expect(out.events.map((e) => e.type)).toEqual(['StepFailed', 'RolledBack', 'CompensationPlanned']);
    expect(out.events[0]?.data).toMatchObject({ exhausted: true });
    expect(out.events[1]?.data).toMatchObject({ step: 'ship', toCheckpoint: 'charge' });
    expect(out.events[2]?.data).toMatchObject({ cause: 'exhausted', plan: ['charge', 'reserve'] });
  });

  it('permanent: rolls back to the last checkpoint, then compensates completed steps in reverse order', () => {
    const out = given(model, [...afterCharge, stepStarted('ship')]).whenFailing(
      { phase: 'step', step: 'ship', attempt: 1, kind: 'permanent', error: err('PERMANENT') },
      ctx,
    );
    expect(out.events.map((e) => e.type)).toEqual(['StepFailed', 'RolledBack', 'CompensationPlanned']);
    expect(out.state.compensation).toEqual({ cause: 'permanent', failedStep: 'ship', plan: ['charge', 'reserve'], done: [] });
    expect(out.state.status).toBe('compensating');
  });

  it('permanent on an optional step: skips it (forward recovery)', () => {
    const m = modelOf([stepOf('flight'), stepOf('hotel', { optional: true }), stepOf('car')]);
    const out = given(m, [started(m), stepStarted('flight'), stepSucceeded('flight'), stepStarted('hotel')]).whenFailing(
      { phase: 'step', step: 'hotel', attempt: 1, kind: 'permanent', error: err() },
      ctx,
    );
    expect(out.events.map((e) => e.type)).toEqual(['StepFailed', 'StepSkipped']);
    expect(out.state.status).toBe('running');
  });

  it('partial: compensates the failed step first, then completed steps in reverse order', () => {
    const out = given(model, [...afterCharge.slice(0, 3), stepStarted('charge')]).whenFailing(
      { phase: 'step', step: 'charge', attempt: 1, kind: 'partial', error: err() },
      ctx,
    );
    expect(out.events.map((e) => e.type)).toEqual(['StepFailed', 'CompensationPlanned']);
    expect(out.state.compensation?.plan).toEqual(['charge', 'reserve']);
  });

  it('partial on a step without compensation: falls back to rollback', () => {
    const out = given(model, [...afterCharge, stepStarted('ship')]).whenFailing(
      { phase: 'step', step: 'ship', attempt: 1, kind: 'partial', error: err() },
      ctx,
    );
    expect(out.events.map((e) => e.type)).toEqual(['StepFailed', 'RolledBack', 'CompensationPlanned']);
    expect(out.state.compensation?.plan).toEqual(['charge', 'reserve']);
  });

  const compensating = [
    ...afterCharge,
    stepStarted('ship'),
    sagaEvent('StepFailed', { step: 'ship', attempt: 1, kind: 'permanent', exhausted: false, error: err(), at: T0 }),
    sagaEvent('CompensationPlanned', { cause: 'permanent', failedStep: 'ship', plan: ['charge', 'reserve'], at: T0 }),
  ];

  it('compensation failure: retried with backoff', () => {
    const out = given(model, [...compensating, compStarted('charge', 1)]).whenFailing(
      { phase: 'compensation', step: 'charge', attempt: 1, kind: 'transient', error: err() },
      ctx,
    );
    expect(out.events.map((e) => e.type)).toEqual(['CompensationFailed', 'RetryScheduled']);
  });

  it('compensation failure with retries spent, or permanent: parks the saga as failed with needsAttention', () => {
    const m = modelOf([
      stepOf('reserve', { retry: policy, compensationRetry: { ...policy, maxAttempts: 2 } }),
      stepOf('charge', { retry: policy, checkpoint: true }),
      stepOf('ship', { compensable: false }),
    ]);
    const spent = given(m, [...compensating, compStarted('charge', 1)]).whenFailing(
      { phase: 'compensation', step: 'charge', attempt: 1, kind: 'permanent', error: err() },
      ctx,
    );
    expect(spent.events.map((e) => e.type)).toEqual(['CompensationFailed', 'SagaFailed']);
    expect(spent.state).toMatchObject({ status: 'failed', needsAttention: true });
    expect(valid(spent.state, m) && canContinue(m, spent.state, T0)).toBe(true);
  });
});
