import { describe, expect, it } from 'vitest';
import { canContinue, ErrorCode, fold, sagaEvent, stepShapes, violations } from '../../../src/core/index.js';
import type { SagaEvent, SagaModel, SagaState, StepModel } from '../../../src/core/index.js';
import { given } from '../../../src/testing/sagaSpec.js';
import { SAGA_ID, T0, err, modelOf, policy, stepOf } from '../../support/coreFixtures.js';

const branch = (name: string, overrides: Partial<StepModel> = {}, concurrency = 2): StepModel =>
  stepOf(name, { retry: policy, ...overrides, parallel: { group: 'book', concurrency } });
/** reserve → [hotel ‖ flight ‖ car] (2 at once) → pay */
const trip: SagaModel = modelOf([stepOf('reserve', { retry: policy }), branch('hotel'), branch('flight'), branch('car'), stepOf('pay', { retry: policy })]);
const started = (m: SagaModel = trip): SagaEvent =>
  sagaEvent('SagaStarted', { sagaId: SAGA_ID, saga: m.name, version: 1, input: {}, steps: stepShapes(m), idempotencyKey: null, at: T0 });
const lease = (at: number) => at + 1_000;
const intent = (step: string, attempt = 1, at = T0, worker = 'w1') => sagaEvent('StepStarted', { step, attempt, worker, leaseUntil: lease(at), at });
const ok = (step: string, attempt = 1, at = T0) => sagaEvent('StepSucceeded', { step, attempt, output: { ok: step }, durationMs: 5, at });
const failedEvent = (step: string, kind: 'transient' | 'permanent' | 'partial', exhausted = false, attempt = 1, at = T0) =>
  sagaEvent('StepFailed', { step, attempt, kind, exhausted, error: err(), durationMs: 5, at });
const perform = (step: string, attempt = 1, at = T0) => ({
  type: 'PerformAttempt' as const,
  phase: 'step' as const,
  step,
  attempt,
  idempotencyKey: `${SAGA_ID}/${step}`,
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
const cancel = (step: string, attempt = 1) => ({ type: 'CancelAttempt' as const, phase: 'step' as const, step, attempt, reason: expect.any(String) });

const afterReserve = [started(), intent('reserve'), ok('reserve')];
const twoRunning = [...afterReserve, intent('hotel'), intent('flight')];

describe('parallel group: fan-out, fan-in', () => {
  it('the success of the step before a group starts its branches at once, up to the concurrency limit, in one append', () => {
    given(trip, [started(), intent('reserve')])
      .when(succeeded('reserve'))
      .then({
        events: [ok('reserve'), intent('hotel'), intent('flight')],
        effects: [perform('hotel'), perform('flight'), { type: 'SetTimer', at: lease(T0), reason: 'lease' }],
      });
  });

  it('the folded state holds every branch attempt in flight, none in the sequential slot, and is valid', () => {
    const { state } = given(trip, twoRunning);
    expect(state.inFlight).toBeNull();
    expect(state.parallel?.inFlight.map((f) => f.step)).toEqual(['hotel', 'flight']);
    expect(violations(state, trip)).toEqual([]);
    expect(canContinue(trip, state, T0)).toBe(true);
  });

  it("a branch's outcome frees a slot: the next branch starts in the same append", () => {
    given(trip, twoRunning)
      .when(succeeded('flight'))
      .then({ events: [ok('flight'), intent('car')], effects: [perform('car'), { type: 'SetTimer', at: lease(T0), reason: 'lease' }] });
  });

  it('the outcome of any attempt in flight is accepted; one not in flight, or another worker’s, is rejected', () => {
    given(trip, twoRunning).when(succeeded('hotel')).result();
    given(trip, twoRunning).when(succeeded('car')).thenThrows(ErrorCode.UnexpectedInput);
    given(trip, twoRunning).when(succeeded('hotel', 2)).thenThrows(ErrorCode.UnexpectedInput);
    const error = given(trip, twoRunning).when(succeeded('hotel'), { workerId: 'w2' }).thenThrows(ErrorCode.UnexpectedInput);
    expect((error as { details?: { reason?: string } }).details?.reason).toBe('not-ours');
  });

  it('the step after the group starts once every branch succeeded, and sees every output', () => {
    const events = [...twoRunning, ok('hotel'), intent('car'), ok('car')];
    const spec = given(trip, events);
    spec.when(succeeded('flight')).then({ events: [ok('flight'), intent('pay')], effects: [perform('pay')] });
    expect(spec.when(succeeded('flight')).state().outputs).toMatchObject({ hotel: { ok: 'hotel' }, flight: { ok: 'flight' }, car: { ok: 'car' } });
  });

  it('a transient failure retries that branch only, on its own budget, while the other keeps running', () => {
    const { events } = given(trip, twoRunning).when(failed('hotel', 'transient')).result();
    expect(events.map((e) => e.type)).toEqual(['StepFailed', 'RetryScheduled', 'StepStarted']);
    expect(events[2]?.data).toMatchObject({ step: 'hotel', attempt: 2 });
    const state = fold(events, given(trip, twoRunning).state) as SagaState;
    expect(state.steps.find((s) => s.name === 'hotel')?.attempts).toBe(2);
    expect(state.steps.find((s) => s.name === 'flight')?.attempts).toBe(1);
  });

  it('an optional branch that fails permanently is skipped; the group goes on', () => {
    const m = modelOf([stepOf('reserve', { retry: policy }), branch('hotel'), branch('flight', { optional: true }), stepOf('pay', { retry: policy })]);
    const base = [started(m), intent('reserve'), ok('reserve'), intent('hotel'), intent('flight')];
    const { events } = given(m, base).when(failed('flight', 'permanent')).result();
    expect(events.map((e) => e.type)).toEqual(['StepFailed', 'StepSkipped']);
    given(m, [...base, ...events])
      .when(succeeded('hotel'))
      .then({ events: [ok('hotel'), intent('pay')], effects: [perform('pay')] });
  });
});

describe('parallel group: a branch that fails for good', () => {
  it('stops the group: nothing new starts, and the runtime is told to fire the signals of the branches still running', () => {
    given(trip, twoRunning)
      .when(failed('hotel', 'permanent'))
      .then({
        events: [failedEvent('hotel', 'permanent')],
        effects: [
          { type: 'CancelAttempt', phase: 'step', step: 'flight', attempt: 1, reason: 'branch hotel of parallel group book failed for good (permanent)' },
          { type: 'SetTimer', at: lease(T0), reason: 'lease' },
        ],
      });
  });

  it('once the cancelled branch reports, the completed branches are compensated in reverse completion order, then the earlier steps', () => {
    // flight succeeded, then hotel failed permanently while car ran; car (cancelled) reports partial.
    const events = [...twoRunning, ok('flight'), intent('car'), failedEvent('hotel', 'permanent')];
    const { events: out } = given(trip, events).when(failed('car', 'partial')).result();
    expect(out.map((e) => e.type)).toEqual(['StepFailed', 'RolledBack', 'CompensationPlanned', 'CompensationStarted']);
    expect(out[2]?.data).toMatchObject({ cause: 'permanent', failedStep: 'hotel', plan: ['car', 'flight', 'reserve'] });
    expect(violations(fold(out, given(trip, events).state) as SagaState, trip)).toEqual([]);
  });

  it('a cancelled branch that succeeds anyway is compensated too, in its place in the completion order', () => {
    const events = [...twoRunning, failedEvent('hotel', 'partial')];
    const { events: out } = given(trip, events).when(succeeded('flight')).result();
    expect(out[1]).toMatchObject({ type: 'CompensationPlanned', data: { cause: 'partial', failedStep: 'hotel', plan: ['flight', 'hotel', 'reserve'] } });
  });

  it('a transient failure of a branch in a stopping group is not retried', () => {
    const events = [...twoRunning, failedEvent('hotel', 'permanent')];
    const { events: out } = given(trip, events).when(failed('flight', 'transient')).result();
    expect(out[0]).toMatchObject({ type: 'StepFailed', data: { step: 'flight', exhausted: true } });
    expect(out.map((e) => e.type)).not.toContain('RetryScheduled');
    expect(out[2]).toMatchObject({ type: 'CompensationPlanned', data: { plan: ['reserve'] } });
  });

  it('a retry pending in a stopping group never runs', () => {
    const events = [
      ...twoRunning,
      failedEvent('flight', 'transient'),
      sagaEvent('RetryScheduled', { phase: 'step', step: 'flight', attempt: 2, dueAt: T0 + 100, at: T0 }),
    ];
    const { events: out } = given(trip, events).when(failed('hotel', 'permanent')).result();
    expect(out.map((e) => e.type)).toEqual(['StepFailed', 'RolledBack', 'CompensationPlanned', 'CompensationStarted']);
    expect(fold(out, given(trip, events).state)?.parallel?.retries).toEqual([]);
  });
});

describe('parallel group: cancellation, leases and takeover', () => {
  it('a cancel fires the signals of the running branches; compensation waits for them', () => {
    const { events, effects } = given(trip, twoRunning).when({ type: 'CancelRequested', reason: 'user', now: T0 }).result();
    expect(events.map((e) => e.type)).toEqual(['SagaCancelRequested']);
    expect(effects).toEqual([cancel('hotel'), cancel('flight'), { type: 'SetTimer', at: lease(T0), reason: 'lease' }]);
    const cancelled = [...twoRunning, ...events, ok('hotel')];
    const { events: out } = given(trip, cancelled).when(failed('flight', 'partial')).result();
    expect(out[1]).toMatchObject({ type: 'CompensationPlanned', data: { cause: 'cancel', plan: ['flight', 'hotel', 'reserve'] } });
  });

  it("each branch attempt whose lease ran out is taken over on its own, the others' kept", () => {
    const events = [...afterReserve, intent('hotel', 1, T0, 'w9'), intent('flight', 1, T0 + 500, 'w9')];
    const at = T0 + 1_200;
    given(trip, events)
      .when({ type: 'Tick', now: at })
      .then({ events: [intent('hotel', 2, at)], effects: [perform('hotel', 2, at), { type: 'SetTimer', at: lease(T0 + 500), reason: 'lease' }] });
  });

  it('the runtime never takes over a branch attempt it is still performing (ctx.performing), whatever its lease says', () => {
    const at = T0 + 5_000;
    const spec = given(trip, twoRunning);
    const { events } = spec.when(succeeded('hotel', 1, at), { performing: new Set(['step/flight/1']) }).result();
    expect(events.map((e) => [e.type, (e.data as { step?: string }).step])).toEqual([
      ['StepSucceeded', 'hotel'],
      ['StepStarted', 'car'],
    ]);
    // Without it, an expired lease is a lost worker's: taken over.
    const { events: taken } = spec.when(succeeded('hotel', 1, at)).result();
    expect(taken.map((e) => [e.type, (e.data as { step?: string }).step, (e.data as { attempt?: number }).attempt])).toEqual([
      ['StepSucceeded', 'hotel', 1],
      ['StepStarted', 'flight', 2],
      ['StepStarted', 'car', 1],
    ]);
  });

  it('a dead worker (liveness 0) loses every branch attempt at once', () => {
    const events = [...afterReserve, intent('hotel', 1, T0, 'w9'), intent('flight', 1, T0, 'w9')];
    const { events: out } = given(trip, events)
      .when({ type: 'Tick', now: T0 + 1 }, { workerAliveUntil: new Map([['w9', 0]]) })
      .result();
    expect(out.map((e) => [e.type, (e.data as { step?: string }).step])).toEqual([
      ['StepStarted', 'hotel'],
      ['StepStarted', 'flight'],
    ]);
  });

  it('in a stopping group an in-doubt branch is not run again: it is recovered as partially applied', () => {
    const events = [...twoRunning, failedEvent('hotel', 'permanent')];
    const { events: out } = given(trip, events)
      .when({ type: 'Tick', now: T0 + 1_000 })
      .result();
    expect(out[0]).toMatchObject({ type: 'StepFailed', data: { step: 'flight', kind: 'partial', error: { code: 'IN_DOUBT' } } });
    expect(out[2]).toMatchObject({ type: 'CompensationPlanned', data: { plan: ['flight', 'reserve'] } });
  });
});

describe('valid: the rules of parallel groups', () => {
  it('flags a branch compensated out of the documented order', () => {
    const events = [...twoRunning, ok('hotel'), ok('flight'), intent('car'), failedEvent('car', 'permanent')];
    const state = given(trip, events).state;
    const wrong = fold(
      [sagaEvent('CompensationPlanned', { cause: 'permanent', failedStep: 'car', plan: ['hotel', 'flight', 'reserve'], at: T0 })],
      state,
    ) as SagaState;
    expect(violations(wrong, trip).join('\n')).toMatch(/group book is compensated as \[hotel, flight\]/);
  });

  it('flags a branch left in flight after the saga ended', () => {
    const state = given(trip, twoRunning).state;
    const ended = { ...state, status: 'compensated' as const };
    expect(violations(ended, trip).join('\n')).toMatch(/branch attempts in flight \(hotel, flight\) while the saga is compensated/);
  });

  it('a saga without groups folds with no parallel field at all', () => {
    const m = modelOf([stepOf('a'), stepOf('b')]);
    const s = fold([
      sagaEvent('SagaStarted', { sagaId: SAGA_ID, saga: 'order', version: 1, input: {}, steps: stepShapes(m), idempotencyKey: null, at: T0 }),
      intent('a'),
      ok('a'),
    ]) as SagaState;
    expect('parallel' in s).toBe(false);
    expect(s.steps.every((st) => !('parallel' in st))).toBe(true);
  });
});
