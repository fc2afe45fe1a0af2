/**
 * Durable signals in the pure core, given/when/then: the wait is recorded with its deadline and
 * a timer; a signal received before or after ends it; a signal is applied once; the timeout is
 * a classified failure; a cancel or the saga's deadline stops the wait.
 */
import { describe, expect, it } from 'vitest';
import { fold, sagaEvent, valid, violations } from '../../../src/core/index.js';
import type { SagaEvent, SagaState, SignalWaitModel } from '../../../src/core/index.js';
import { given } from '../../../src/testing/sagaSpec.js';
import { SAGA_ID, T0, compStarted, modelOf, policy, started, stepOf, stepStarted, stepSucceeded } from '../../support/coreFixtures.js';

const WAIT_MS = 1_000;
const signal = (overrides: Partial<SignalWaitModel> = {}): SignalWaitModel => ({
  name: 'confirmed',
  timeoutMs: WAIT_MS,
  timeoutKind: 'permanent',
  ...overrides,
});
const modelWith = (wait: Partial<SignalWaitModel> = {}, retry = policy) =>
  modelOf([
    stepOf('reserve', { retry: policy }),
    stepOf('confirm', { retry, compensable: false, signal: signal(wait) }),
    stepOf('ship', { retry: policy, compensable: false }),
  ]);
const model = modelWith();
const lease = (at: number) => at + 1_000;
const run = (step: string, attempt = 1, at = T0) => ({
  type: 'PerformAttempt' as const,
  phase: 'step' as const,
  step,
  attempt,
  idempotencyKey: `${SAGA_ID}/${step}`,
  leaseUntil: lease(at),
});
const succeeded = (step: string, now = T0) => ({
  type: 'AttemptSucceeded' as const,
  phase: 'step' as const,
  step,
  attempt: 1,
  output: { ok: step },
  durationMs: 5,
  now,
});
const sig = (signalId: string, payload: unknown = { by: signalId }, now = T0) => ({ type: 'Signal' as const, signalId, name: 'confirmed', payload, now });
const received = (signalId: string, payload: unknown = { by: signalId }, at = T0): SagaEvent =>
  sagaEvent('SignalReceived', { signalId, name: 'confirmed', payload, at });
const awaited = (attempt = 1, at = T0): SagaEvent => sagaEvent('SignalAwaited', { step: 'confirm', attempt, signal: 'confirmed', until: at + WAIT_MS, at });
const started1 = started(model);
const waiting = [started1, stepStarted('reserve'), stepSucceeded('reserve'), awaited()];

describe('signals: the wait', () => {
  it('reaching a waiting step records the wait with its deadline and sets a timer, with no attempt and no lease', () => {
    given(model, [started1, stepStarted('reserve')])
      .when(succeeded('reserve'))
      .then({
        events: [sagaEvent('StepSucceeded', { step: 'reserve', attempt: 1, output: { ok: 'reserve' }, durationMs: 5, at: T0 }), awaited()],
        effects: [{ type: 'SetTimer', at: T0 + WAIT_MS, reason: 'signal' }],
      });
    const state = given(model, waiting).state;
    expect(state.inFlight).toBeNull();
    expect(state.signals?.waiting).toEqual({ step: 'confirm', attempt: 1, signal: 'confirmed', until: T0 + WAIT_MS });
    expect(valid(state, model)).toBe(true);
  });

  it('a Tick before the deadline only waits (any worker may tick: nothing is held)', () => {
    given(model, waiting)
      .when({ type: 'Tick', now: T0 + 10 }, { workerId: 'w2' })
      .then({ effects: [{ type: 'SetTimer', at: T0 + WAIT_MS, reason: 'signal' }] });
  });

  it('a signal while waiting completes the step with its payload, and the next step starts in the same append', () => {
    given(model, waiting)
      .when(sig('s1'))
      .then({
        events: [
          received('s1'),
          sagaEvent('SignalConsumed', { step: 'confirm', attempt: 1, signalId: 's1', at: T0 }),
          sagaEvent('StepSucceeded', { step: 'confirm', attempt: 1, output: { by: 's1' }, at: T0 }),
          sagaEvent('StepStarted', { step: 'ship', attempt: 1, worker: 'w1', leaseUntil: lease(T0), at: T0 }),
        ],
        effects: [run('ship')],
      });
  });

  it('a signal received by a client (SignalReceived alone) is consumed by the next Tick', () => {
    const spec = given(model, [...waiting, received('s1')]);
    const state = spec.when({ type: 'Tick', now: T0 }).state();
    expect(state.outputs['confirm']).toEqual({ by: 's1' });
    expect(state.signals).toMatchObject({ received: ['s1'], inbox: [], consumed: { confirm: 's1' }, waiting: null });
  });

  it('a signal that arrives before the wait is kept, and consumed when the saga reaches the step', () => {
    const before = given(model, [started1, stepStarted('reserve')]);
    before.when(sig('early')).then({ events: [received('early')], effects: [{ type: 'SetTimer', at: lease(T0), reason: 'lease' }] });
    given(model, [started1, stepStarted('reserve'), received('early')])
      .when(succeeded('reserve'))
      .then({
        events: [
          sagaEvent('StepSucceeded', { step: 'reserve', attempt: 1, output: { ok: 'reserve' }, durationMs: 5, at: T0 }),
          awaited(),
          sagaEvent('SignalConsumed', { step: 'confirm', attempt: 1, signalId: 'early', at: T0 }),
          sagaEvent('StepSucceeded', { step: 'confirm', attempt: 1, output: { by: 'early' }, at: T0 }),
          sagaEvent('StepStarted', { step: 'ship', attempt: 1, worker: 'w1', leaseUntil: lease(T0), at: T0 }),
        ],
        effects: [run('ship')],
      });
  });

  it('a signal sent twice with the same id is applied once: the second records nothing', () => {
    const consumed = [
      ...waiting,
      received('s1'),
      sagaEvent('SignalConsumed', { step: 'confirm', attempt: 1, signalId: 's1', at: T0 }),
      sagaEvent('StepSucceeded', { step: 'confirm', attempt: 1, output: { by: 's1' }, at: T0 }),
      stepStarted('ship'),
    ];
    // Only the lease of the running step is answered: nothing is recorded for the repeat.
    given(model, consumed)
      .when(sig('s1', { by: 'someone else' }))
      .then({ effects: [{ type: 'SetTimer', at: lease(T0), reason: 'lease' }] });
    // Folding the same SignalReceived twice changes nothing either.
    const twice = fold([started1, received('s1'), received('s1', { by: 'other' })]) as SagaState;
    expect(twice.signals?.received).toEqual(['s1']);
    expect(twice.signals?.inbox).toEqual([{ signalId: 's1', name: 'confirmed', payload: { by: 's1' }, at: T0 }]);
  });

  it('a signal no step waits for, or to a finished saga, answers nothing', () => {
    given(model, [started1]).when({ type: 'Signal', signalId: 'x', name: 'other', payload: null, now: T0 }).thenNothing();
    given(model, [...waiting, sagaEvent('SagaFailed', { reason: 'x', step: null, needsAttention: true, at: T0 })])
      .when(sig('late'))
      .thenNothing();
  });
});

describe('signals: the timeout, a cancel, the deadline', () => {
  it('past the deadline the wait fails permanently (SIGNAL_TIMEOUT) and the earlier steps are compensated', () => {
    const now = T0 + WAIT_MS;
    const { events } = given(model, waiting).when({ type: 'Tick', now }).result();
    expect(events.map((e) => e.type)).toEqual(['StepFailed', 'RolledBack', 'CompensationPlanned', 'CompensationStarted']);
    expect(events[0]?.data).toMatchObject({ step: 'confirm', attempt: 1, kind: 'permanent', error: { name: 'SignalTimeoutError', code: 'SIGNAL_TIMEOUT' } });
    expect(events[2]?.data).toMatchObject({ cause: 'permanent', failedStep: 'confirm', plan: ['reserve'] });
    const after = given(model, [...waiting, ...events]).state;
    expect(after.signals?.waiting).toBeNull();
    expect(valid(after, model)).toBe(true);
  });

  it('a timeout classified transient waits again, as the next attempt, within the retry budget', () => {
    const patient = modelWith({ timeoutKind: 'transient' });
    const now = T0 + WAIT_MS;
    given(patient, waiting)
      .when({ type: 'Tick', now })
      .then({
        events: [
          sagaEvent('StepFailed', {
            step: 'confirm',
            attempt: 1,
            kind: 'transient',
            exhausted: false,
            error: { name: 'SignalTimeoutError', code: 'SIGNAL_TIMEOUT', message: 'step confirm waited 1000 ms for signal "confirmed" (wait 1) and none came' },
            at: now,
          }),
          sagaEvent('RetryScheduled', { phase: 'step', step: 'confirm', attempt: 2, dueAt: now, at: now }),
          awaited(2, now),
        ],
        effects: [{ type: 'SetTimer', at: now + WAIT_MS, reason: 'signal' }],
      });
  });

  it('an optional waiting step that times out is skipped (forward recovery)', () => {
    const optional = modelOf([
      stepOf('reserve', { retry: policy }),
      stepOf('confirm', { optional: true, compensable: false, signal: signal() }),
      stepOf('ship', { compensable: false }),
    ]);
    const { events } = given(optional, [started(optional), ...waiting.slice(1)])
      .when({ type: 'Tick', now: T0 + WAIT_MS })
      .result();
    expect(events.map((e) => e.type)).toEqual(['StepFailed', 'StepSkipped', 'StepStarted']);
  });

  it('a cancel stops the wait: the saga compensates, and the waiting step is left pending', () => {
    const { events } = given(model, waiting)
      .when({ type: 'CancelRequested', reason: 'customer left', now: T0 + 5 })
      .result();
    expect(events.map((e) => e.type)).toEqual(['SagaCancelRequested', 'CompensationPlanned', 'CompensationStarted']);
    const after = given(model, [...waiting, ...events]).state;
    expect(after.signals?.waiting).toBeNull();
    expect(after.steps.find((s) => s.name === 'confirm')?.status).toBe('pending');
    expect(valid(after, model)).toBe(true);
    // A signal after the cancel is not recorded: nothing will consume it.
    given(model, [...waiting, ...events])
      .when(sig('late'))
      .thenNothing();
  });

  it("the saga's deadline stops the wait before its own timeout", () => {
    const withDeadline = sagaEvent('SagaStarted', { ...(started1.data as Extract<SagaEvent, { type: 'SagaStarted' }>['data']), deadlineAt: T0 + 500 });
    const spec = given(model, [withDeadline, stepStarted('reserve'), stepSucceeded('reserve'), awaited()]);
    spec.when({ type: 'Tick', now: T0 + 100 }).then({
      effects: [
        { type: 'SetTimer', at: T0 + WAIT_MS, reason: 'signal' },
        { type: 'SetTimer', at: T0 + 500, reason: 'deadline' },
      ],
    });
    const { events } = spec.when({ type: 'Tick', now: T0 + 500 }).result();
    expect(events.map((e) => e.type)).toEqual(['SagaCancelRequested', 'CompensationPlanned', 'CompensationStarted']);
    expect(events[2]).toEqual(compStarted('reserve', 1, T0 + 500));
  });
});

describe('signals: valid', () => {
  it('flags a signal received twice, consumed twice, or kept and consumed', () => {
    const state = given(model, [...waiting, received('s1')])
      .when(sig('s1'))
      .state();
    expect(violations(state, model)).toEqual([]);
    const book = state.signals;
    if (!book) throw new Error('no signal book');
    const broken: SagaState = { ...state, signals: { ...book, received: ['s1', 's1'], inbox: [{ signalId: 's1', name: 'confirmed', payload: null, at: T0 }] } };
    expect(violations(broken, model)).toEqual(['a signal was received twice (applied more than once)', 'signal s1 is kept and consumed']);
  });
});
