import { describe, expect, it } from 'vitest';
import { ErrorCode, sagaEvent, UnexpectedInputError } from '../../../src/core/index.js';
import type { SagaEvent } from '../../../src/core/index.js';
import { given } from '../../../src/testing/sagaSpec.js';
import { SAGA_ID, T0, compStarted, err, model, modelOf, policy, started, stepOf, stepStarted, stepSucceeded } from '../../support/coreFixtures.js';

const key = (step: string) => `${SAGA_ID}/${step}`;
const lease = (at: number) => at + 1_000;
const run = (step: string, attempt = 1, at = T0, phase: 'step' | 'compensation' = 'step') => ({
  type: 'PerformAttempt' as const,
  phase,
  step,
  attempt,
  idempotencyKey: phase === 'step' ? key(step) : `${key(step)}/compensate`,
  leaseUntil: lease(at),
});
const succeeded = (step: string, attempt = 1, now = T0) => ({
  type: 'AttemptSucceeded' as const,
  phase: 'step' as const,
  step,
  attempt,
  output: { ok: step },
  durationMs: 5,
  now,
});
const failed = (step: string, kind: 'transient' | 'permanent' | 'partial', attempt = 1, now = T0) => ({
  type: 'AttemptFailed' as const,
  phase: 'step' as const,
  step,
  attempt,
  kind,
  error: err(),
  durationMs: 5,
  now,
});
const stepFailed = (step: string, attempt: number, kind: 'transient' | 'permanent' | 'partial', exhausted = false, at = T0): SagaEvent =>
  sagaEvent('StepFailed', { step, attempt, kind, exhausted, error: err(), durationMs: 5, at });

const afterReserve = [started(), stepStarted('reserve'), stepSucceeded('reserve')];
const afterCharge = [
  ...afterReserve,
  stepStarted('charge'),
  stepSucceeded('charge'),
  sagaEvent('CheckpointRecorded', { step: 'charge', snapshot: null, at: T0 }),
];

describe('transition(model, state, input): the steps forward', () => {
  it('a Tick after SagaStarted starts the first step: the intent is an event, the attempt an effect', () => {
    given(model, [started()])
      .when({ type: 'Tick', now: T0 })
      .then({ events: [sagaEvent('StepStarted', { step: 'reserve', attempt: 1, worker: 'w1', leaseUntil: lease(T0), at: T0 })], effects: [run('reserve')] });
  });

  it("a success is batched with the next step's intent (n + 1 appends for n steps)", () => {
    given(model, [started(), stepStarted('reserve')])
      .when(succeeded('reserve'))
      .then({
        events: [
          sagaEvent('StepSucceeded', { step: 'reserve', attempt: 1, output: { ok: 'reserve' }, durationMs: 5, at: T0 }),
          sagaEvent('StepStarted', { step: 'charge', attempt: 1, worker: 'w1', leaseUntil: lease(T0), at: T0 }),
        ],
        effects: [run('charge')],
      });
  });

  it('a step declared checkpoint: true records its checkpoint (with the snapshot) before the next intent', () => {
    const spec = given(model, [...afterReserve, stepStarted('charge')]);
    const { events } = spec.when(succeeded('charge')).result();
    expect(events.map((e) => e.type)).toEqual(['StepSucceeded', 'CheckpointRecorded', 'StepStarted']);
    expect(events[1]?.data).toMatchObject({ step: 'charge', snapshot: { sagaId: SAGA_ID, succeeded: ['reserve', 'charge'] } });
  });

  it('a snapshot too large for an event is left out of the checkpoint', () => {
    const { events } = given(model, [...afterReserve, stepStarted('charge')])
      .when(succeeded('charge'), { maxSnapshotBytes: 100 })
      .result();
    expect(events[1]).toEqual(sagaEvent('CheckpointRecorded', { step: 'charge', snapshot: null, at: T0 }));
  });

  it('the last success completes the saga, with nothing more to do', () => {
    given(model, [...afterCharge, stepStarted('ship')])
      .when(succeeded('ship'))
      .then({
        events: [
          sagaEvent('StepSucceeded', { step: 'ship', attempt: 1, output: { ok: 'ship' }, durationMs: 5, at: T0 }),
          sagaEvent('SagaCompleted', { at: T0 }),
        ],
      });
  });

  it('a Tick on a terminal saga, and a Signal no step waits for, answer nothing', () => {
    given(model, [started(), sagaEvent('SagaFailed', { reason: 'x', step: null, needsAttention: true, at: T0 })])
      .when({ type: 'Tick', now: T0 })
      .thenNothing();
    given(model, [started()])
      .when({ type: 'Signal', signalId: 'sig-1', name: 'approved', payload: { by: 'ops' }, now: T0 })
      .thenNothing();
  });
});

describe('transition: failures go through recover (R)', () => {
  it('a transient failure with an immediate retry left starts the next attempt in the same append', () => {
    given(model, [started(), stepStarted('reserve')])
      .when(failed('reserve', 'transient'))
      .then({
        events: [
          stepFailed('reserve', 1, 'transient'),
          sagaEvent('RetryScheduled', { phase: 'step', step: 'reserve', attempt: 2, dueAt: T0, at: T0 }),
          sagaEvent('StepStarted', { step: 'reserve', attempt: 2, worker: 'w1', leaseUntil: lease(T0), at: T0 }),
        ],
        effects: [run('reserve', 2)],
      });
  });

  it('a transient failure with a backoff sets a timer; the Tick at the due time runs the scheduled attempt', () => {
    const events = [started(), stepStarted('reserve', 2)];
    given(model, events)
      .when(failed('reserve', 'transient', 2))
      .then({
        events: [stepFailed('reserve', 2, 'transient'), sagaEvent('RetryScheduled', { phase: 'step', step: 'reserve', attempt: 3, dueAt: T0 + 100, at: T0 })],
        effects: [{ type: 'SetTimer', at: T0 + 100, reason: 'retry' }],
      });
    const waiting = [
      ...events,
      stepFailed('reserve', 2, 'transient'),
      sagaEvent('RetryScheduled', { phase: 'step', step: 'reserve', attempt: 3, dueAt: T0 + 100, at: T0 }),
    ];
    given(model, waiting)
      .when({ type: 'Tick', now: T0 + 99 })
      .then({ effects: [{ type: 'SetTimer', at: T0 + 100, reason: 'retry' }] });
    given(model, waiting)
      .when({ type: 'Tick', now: T0 + 100 })
      .then({
        events: [sagaEvent('StepStarted', { step: 'reserve', attempt: 3, worker: 'w1', leaseUntil: lease(T0 + 100), at: T0 + 100 })],
        effects: [run('reserve', 3, T0 + 100)],
      });
  });

  it('a timeout is a transient failure with the StepTimeoutError the runtime records', () => {
    const { events } = given(model, [started(), stepStarted('reserve')])
      .when({ type: 'AttemptTimedOut', phase: 'step', step: 'reserve', attempt: 1, timeoutMs: 30, durationMs: 30, now: T0 })
      .result();
    expect(events[0]).toEqual(
      sagaEvent('StepFailed', {
        step: 'reserve',
        attempt: 1,
        kind: 'transient',
        exhausted: false,
        error: { name: 'StepTimeoutError', code: 'STEP_TIMEOUT', message: 'step reserve attempt 1 timed out after 30 ms' },
        durationMs: 30,
        at: T0,
      }),
    );
  });

  it('a permanent failure rolls back and starts the first compensation in the same append', () => {
    given(model, [...afterCharge, stepStarted('ship')])
      .when(failed('ship', 'permanent'))
      .then({
        events: [
          stepFailed('ship', 1, 'permanent'),
          sagaEvent('RolledBack', { step: 'ship', toCheckpoint: 'charge', at: T0 }),
          sagaEvent('CompensationPlanned', { cause: 'permanent', failedStep: 'ship', plan: ['charge', 'reserve'], at: T0 }),
          sagaEvent('CompensationStarted', { step: 'charge', attempt: 1, worker: 'w1', leaseUntil: lease(T0), at: T0 }),
        ],
        effects: [run('charge', 1, T0, 'compensation')],
      });
  });

  it('an optional step that fails permanently is skipped and the next step starts', () => {
    const m = modelOf([stepOf('flight'), stepOf('hotel', { optional: true }), stepOf('car')]);
    const { events, effects } = given(m, [started(m), stepStarted('flight'), stepSucceeded('flight'), stepStarted('hotel')])
      .when(failed('hotel', 'permanent'))
      .result();
    expect(events.map((e) => e.type)).toEqual(['StepFailed', 'StepSkipped', 'StepStarted']);
    expect(effects).toEqual([expect.objectContaining({ type: 'PerformAttempt', step: 'car' })]);
  });

  it('the last compensation finishes the saga compensated', () => {
    const planned = [
      ...afterReserve,
      sagaEvent('CompensationPlanned', { cause: 'cancel', failedStep: null, plan: ['reserve'], at: T0 }),
      compStarted('reserve'),
    ];
    given(model, planned)
      .when({ type: 'AttemptSucceeded', phase: 'compensation', step: 'reserve', attempt: 1, output: null, durationMs: 2, now: T0 })
      .then({ events: [sagaEvent('CompensationSucceeded', { step: 'reserve', attempt: 1, durationMs: 2, at: T0 }), sagaEvent('SagaCompensated', { at: T0 })] });
  });

  it('a compensation that fails with its budget spent parks the saga', () => {
    const m = modelOf([stepOf('reserve', { compensationRetry: { ...policy, maxAttempts: 1 } }), stepOf('charge')]);
    const planned = [
      started(m),
      stepStarted('reserve'),
      stepSucceeded('reserve'),
      sagaEvent('CompensationPlanned', { cause: 'cancel', failedStep: null, plan: ['reserve'], at: T0 }),
      compStarted('reserve'),
    ];
    const { events, effects } = given(m, planned)
      .when({ type: 'AttemptFailed', phase: 'compensation', step: 'reserve', attempt: 1, kind: 'transient', error: err(), durationMs: 1, now: T0 })
      .result();
    expect(events.map((e) => e.type)).toEqual(['CompensationFailed', 'SagaFailed']);
    expect(effects).toEqual([]);
  });

  it('the jitter draw is injected: a source is called once per recovery', () => {
    const jittered = modelOf([stepOf('reserve', { retry: { ...policy, jitter: 'full', immediateAttempts: 0 } })]);
    let draws = 0;
    const { events } = given(jittered, [started(jittered), stepStarted('reserve')])
      .when(failed('reserve', 'transient'), {
        random: () => {
          draws++;
          return 0.5;
        },
      })
      .result();
    expect(draws).toBe(1);
    expect(events[1]?.data).toMatchObject({ dueAt: T0 + 50 });
  });
});

describe('transition: leases, workers lost, fencing, cancellation', () => {
  it("waits for another worker's lease; after it, re-runs the in-doubt step as the next attempt with the same key", () => {
    const spec = given(model, [started(), stepStarted('reserve', 1, T0, 1_000)]);
    spec.when({ type: 'Tick', now: T0 + 999 }, { workerId: 'w2' }).then({ effects: [{ type: 'SetTimer', at: T0 + 1_000, reason: 'lease' }] });
    spec.when({ type: 'Tick', now: T0 + 1_000 }, { workerId: 'w2' }).then({
      events: [sagaEvent('StepStarted', { step: 'reserve', attempt: 2, worker: 'w2', leaseUntil: lease(T0 + 1_000), at: T0 + 1_000 })],
      effects: [{ ...run('reserve', 2, T0 + 1_000) }],
    });
  });

  it('an in-doubt step with no attempts left is recovered as partially applied: its own compensation runs first', () => {
    const { events, effects } = given(model, [...afterReserve, stepStarted('charge', 4)])
      .when({ type: 'Tick', now: T0 + 5_000 })
      .result();
    expect(events.map((e) => e.type)).toEqual(['StepFailed', 'CompensationPlanned', 'CompensationStarted']);
    expect(events[0]?.data).toMatchObject({ step: 'charge', attempt: 4, kind: 'partial', error: { code: 'IN_DOUBT' } });
    expect(events[1]?.data).toMatchObject({ cause: 'partial', plan: ['charge', 'reserve'] });
    expect(effects).toEqual([run('charge', 1, T0 + 5_000, 'compensation')]);
  });

  it('an in-doubt compensation with no attempts left parks the saga', () => {
    const m = modelOf([stepOf('reserve', { compensationRetry: { ...policy, maxAttempts: 1 } }), stepOf('charge')]);
    const { events } = given(m, [
      started(m),
      stepStarted('reserve'),
      stepSucceeded('reserve'),
      sagaEvent('CompensationPlanned', { cause: 'cancel', failedStep: null, plan: ['reserve'], at: T0 }),
      compStarted('reserve'),
    ])
      .when({ type: 'Tick', now: T0 + 5_000 })
      .result();
    expect(events).toEqual([
      sagaEvent('SagaFailed', { reason: 'compensation of reserve in doubt after 1 attempts', step: 'reserve', needsAttention: true, at: T0 + 5_000 }),
    ]);
  });

  it('an outcome for an attempt that is not in flight is rejected: never started, or a second outcome', () => {
    given(model, [started(), stepStarted('reserve')])
      .when(succeeded('reserve', 2))
      .thenThrows(UnexpectedInputError);
    given(model, afterReserve).when(succeeded('reserve')).thenThrows(ErrorCode.UnexpectedInput);
    given(model, [started(), stepStarted('reserve'), stepFailed('reserve', 1, 'permanent')])
      .when(failed('reserve', 'transient'))
      .thenThrows(ErrorCode.UnexpectedInput);
  });

  it("an outcome for another worker's attempt is rejected: it is not ours to record", () => {
    const error = given(model, [started(), stepStarted('reserve')])
      .when(succeeded('reserve'), { workerId: 'w2' })
      .thenThrows(UnexpectedInputError);
    expect((error as UnexpectedInputError).details).toMatchObject({ reason: 'not-ours', step: 'reserve', attempt: 1 });
  });

  it('a fenced attempt records nothing; what is due is answered as for a Tick', () => {
    const taken = [
      started(),
      stepStarted('reserve'),
      sagaEvent('StepStarted', { step: 'reserve', attempt: 2, worker: 'w2', leaseUntil: lease(T0 + 1_000), at: T0 + 1_000 }),
    ];
    given(model, taken)
      .when({ type: 'Fenced', phase: 'step', step: 'reserve', attempt: 1, now: T0 + 1_001 })
      .then({ effects: [{ type: 'SetTimer', at: lease(T0 + 1_000), reason: 'lease' }] });
  });

  it('a cancel with nothing in flight plans the compensations and starts the first', () => {
    const { events, effects } = given(model, afterReserve).when({ type: 'CancelRequested', reason: 'user', now: T0 }).result();
    expect(events).toEqual([
      sagaEvent('SagaCancelRequested', { reason: 'user', at: T0 }),
      sagaEvent('CompensationPlanned', { cause: 'cancel', failedStep: null, plan: ['reserve'], at: T0 }),
      sagaEvent('CompensationStarted', { step: 'reserve', attempt: 1, worker: 'w1', leaseUntil: lease(T0), at: T0 }),
    ]);
    expect(effects).toEqual([run('reserve', 1, T0, 'compensation')]);
  });

  it('a cancel while an attempt is in flight is recorded; compensation waits for its outcome', () => {
    given(model, [...afterReserve, stepStarted('charge')])
      .when({ type: 'CancelRequested', reason: 'user', now: T0 + 1 })
      .then({ events: [sagaEvent('SagaCancelRequested', { reason: 'user', at: T0 + 1 })], effects: [{ type: 'SetTimer', at: lease(T0), reason: 'lease' }] });
    const { events } = given(model, [...afterReserve, stepStarted('charge'), sagaEvent('SagaCancelRequested', { reason: 'user', at: T0 })])
      .when(succeeded('charge'))
      .result();
    expect(events.map((e) => e.type)).toEqual(['StepSucceeded', 'CheckpointRecorded', 'CompensationPlanned', 'CompensationStarted']);
  });

  it('a cancel of a saga that is not running, or already cancelled, records nothing', () => {
    given(model, [...afterReserve, sagaEvent('SagaCancelRequested', { reason: 'first', at: T0 }), stepStarted('charge')])
      .when({ type: 'CancelRequested', reason: 'again', now: T0 })
      .thenNothing();
    given(model, [started(), sagaEvent('SagaFailed', { reason: 'x', step: null, needsAttention: true, at: T0 })])
      .when({ type: 'CancelRequested', reason: 'late', now: T0 })
      .thenNothing();
  });

  it('a draining engine records the outcome but starts nothing new', () => {
    given(model, [started(), stepStarted('reserve')])
      .when(succeeded('reserve'), { draining: true })
      .then({ events: [sagaEvent('StepSucceeded', { step: 'reserve', attempt: 1, output: { ok: 'reserve' }, durationMs: 5, at: T0 })] });
  });
});

describe('transition(model, state, input): a saga-level deadline', () => {
  const withDeadline = (deadlineAt: number): SagaEvent => {
    const event = started();
    return { ...event, data: { ...(event.data as object), deadlineAt } } as SagaEvent;
  };

  it('before the deadline, whatever the saga waits for, it also asks to be woken at the deadline', () => {
    given(model, [withDeadline(T0 + 5_000)])
      .when({ type: 'Tick', now: T0 })
      .then({
        events: [sagaEvent('StepStarted', { step: 'reserve', attempt: 1, worker: 'w1', leaseUntil: lease(T0), at: T0 })],
        effects: [run('reserve'), { type: 'SetTimer', at: T0 + 5_000, reason: 'deadline' }],
      });
  });

  it('past the deadline, any input first records the cancel (the reason names the deadline), then the saga compensates', () => {
    const { events } = given(model, [withDeadline(T0 + 5_000), stepStarted('reserve'), stepSucceeded('reserve')])
      .when({ type: 'Tick', now: T0 + 6_000 })
      .result();
    expect(events[0]).toEqual(
      sagaEvent('SagaCancelRequested', { reason: `deadline passed: the saga had to end by ${T0 + 5_000} (ms since the epoch)`, at: T0 + 6_000 }),
    );
    expect(events.map((e) => e.type)).toEqual(['SagaCancelRequested', 'CompensationPlanned', 'CompensationStarted']);
  });

  it('an outcome that arrives after the deadline is recorded after the cancel, and an explicit cancel then adds nothing', () => {
    const history = [withDeadline(T0 + 5_000), stepStarted('reserve')];
    const { events } = given(model, history)
      .when(succeeded('reserve', 1, T0 + 6_000))
      .result();
    expect(events.slice(0, 2).map((e) => e.type)).toEqual(['SagaCancelRequested', 'StepSucceeded']);
    const cancelled = given(model, history)
      .when({ type: 'CancelRequested', reason: 'too late anyway', now: T0 + 6_000 })
      .result();
    expect(cancelled.events.filter((e) => e.type === 'SagaCancelRequested')).toHaveLength(1);
  });
});
