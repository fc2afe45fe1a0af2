import { describe, it } from 'vitest';
import { sagaEvent } from '../../../src/core/index.js';
import { given } from '../../../src/testing/sagaSpec.js';
import { SAGA_ID, T0, compStarted, compSucceeded, model, started, stepStarted, stepSucceeded } from '../../support/coreFixtures.js';

const key = (step: string) => `${SAGA_ID}/${step}`;

describe('decide(model, state, now)', () => {
  it('runs the first step after SagaStarted, with a stable idempotency key', () => {
    given(model, [started()])
      .whenDeciding(T0)
      .then({ type: 'RunStep', step: 'reserve', attempt: 1, idempotencyKey: key('reserve') });
  });

  it('runs the next step after a success', () => {
    given(model, [started(), stepStarted('reserve'), stepSucceeded('reserve')])
      .whenDeciding(T0)
      .then({ type: 'RunStep', step: 'charge', attempt: 1, idempotencyKey: key('charge') });
  });

  it("waits for another worker's lease, then re-runs the in-doubt step as the next attempt with the same key", () => {
    const spec = given(model, [started(), stepStarted('reserve', 1, T0, 1_000)]);
    spec.whenDeciding(T0 + 999).then({ type: 'Wait', until: T0 + 1_000, reason: 'lease' });
    spec.whenDeciding(T0 + 1_000).then({ type: 'RunStep', step: 'reserve', attempt: 2, idempotencyKey: key('reserve') });
  });

  it('abandons an in-doubt step whose attempts are spent', () => {
    given(model, [started(), stepStarted('reserve', 4)])
      .whenDeciding(T0 + 5_000)
      .then({ type: 'AbandonStep', step: 'reserve', attempt: 4 });
  });

  it('honours a persisted retry timer: waits until it is due, then runs the scheduled attempt', () => {
    const spec = given(model, [
      started(),
      stepStarted('reserve'),
      sagaEvent('StepFailed', { step: 'reserve', attempt: 1, kind: 'transient', exhausted: false, error: { name: 'E', code: 'E', message: 'x' }, at: T0 }),
      sagaEvent('RetryScheduled', { phase: 'step', step: 'reserve', attempt: 2, dueAt: T0 + 200, at: T0 }),
    ]);
    spec.whenDeciding(T0 + 199).then({ type: 'Wait', until: T0 + 200, reason: 'retry' });
    spec.whenDeciding(T0 + 200).then({ type: 'RunStep', step: 'reserve', attempt: 2, idempotencyKey: key('reserve') });
  });

  it('records a checkpoint after a step declared checkpoint: true, before anything else', () => {
    given(model, [started(), stepStarted('reserve'), stepSucceeded('reserve'), stepStarted('charge'), stepSucceeded('charge')])
      .whenDeciding(T0)
      .then({ type: 'RecordCheckpoint' });
  });

  it('completes when every step succeeded', () => {
    const events = [started(), ...['reserve', 'charge', 'ship'].flatMap((s) => [stepStarted(s), stepSucceeded(s)])];
    const checkpointed = [...events.slice(0, 5), sagaEvent('CheckpointRecorded', { step: 'charge', snapshot: null, at: T0 }), ...events.slice(5)];
    given(model, checkpointed).whenDeciding(T0).then({ type: 'Complete' });
  });

  it('begins compensation when a cancel was requested and nothing is in flight', () => {
    given(model, [started(), stepStarted('reserve'), stepSucceeded('reserve'), sagaEvent('SagaCancelRequested', { reason: 'user', at: T0 })])
      .whenDeciding(T0)
      .then({ type: 'BeginCompensation', cause: 'cancel' });
  });

  it('compensates in plan order, then finishes compensated', () => {
    const base = [
      started(),
      stepStarted('reserve'),
      stepSucceeded('reserve'),
      sagaEvent('CompensationPlanned', { cause: 'cancel', failedStep: null, plan: ['reserve'], at: T0 }),
    ];
    given(model, base)
      .whenDeciding(T0)
      .then({ type: 'RunCompensation', step: 'reserve', attempt: 1, idempotencyKey: `${key('reserve')}/compensate` });
    given(model, [...base, compStarted('reserve'), compSucceeded('reserve')])
      .whenDeciding(T0)
      .then({ type: 'FinishCompensated' });
  });

  it('does nothing for a terminal saga', () => {
    given(model, [started(), sagaEvent('SagaFailed', { reason: 'x', step: null, needsAttention: true, at: T0 })])
      .whenDeciding(T0)
      .then({ type: 'Nothing' });
  });
});
