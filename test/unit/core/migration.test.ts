/**
 * Issue 11 item 5, the pure part of versioned definitions: when a saga may move from version n
 * to n + 1, the SagaMigrated event that records it, what evolve makes of it, and the stream
 * rule that the version never changes without one.
 */
import { describe, expect, it } from 'vitest';
import {
  canContinue,
  decide,
  fold,
  migrationBlocker,
  migrationEvent,
  migrationSnapshot,
  sagaEvent,
  transition,
  valid,
  versionViolations,
} from '../../../src/core/index.js';
import type { SagaEvent, SagaModel, SagaState } from '../../../src/core/index.js';
import { model, policy, started, stepOf, stepStarted, stepSucceeded, T0 } from '../../support/coreFixtures.js';

/** Version 2 of the fixture's saga: a new optional `notify` after charge, ship renamed dispatch. */
const v2: SagaModel = {
  name: 'order',
  version: 2,
  checkpointEvery: 50,
  steps: [
    stepOf('reserve', { retry: policy }),
    stepOf('charge', { retry: policy }),
    stepOf('notify', { retry: policy, optional: true }),
    stepOf('dispatch', { retry: { ...policy, maxAttempts: 2 }, compensable: false }),
  ],
};

const stateOf = (events: SagaEvent[]): SagaState => fold(events) as SagaState;
// charge is a checkpoint step in the fixture: its checkpoint is recorded, so nothing else is due.
const afterCharge = [
  started(),
  stepStarted('reserve'),
  stepSucceeded('reserve'),
  stepStarted('charge'),
  stepSucceeded('charge'),
  sagaEvent('CheckpointRecorded', { step: 'charge', snapshot: null, at: T0 }),
];

describe('migrationBlocker', () => {
  it('lets a running saga between steps move, and one whose attempt is in doubt (lease over)', () => {
    expect(migrationBlocker(stateOf(afterCharge), T0)).toBeUndefined();
    const inDoubt = stateOf([...afterCharge, stepStarted('ship', 1, T0, 1_000)]);
    expect(migrationBlocker(inDoubt, T0 + 1_000)).toBeUndefined();
  });

  it('holds a saga whose attempt a worker holds: by its lease, or by its liveness record past the lease', () => {
    const held = stateOf([...afterCharge, stepStarted('ship', 1, T0, 1_000)]);
    expect(migrationBlocker(held, T0 + 10)).toMatchObject({ reason: 'lease', until: T0 + 1_000, worker: 'w1' });
    expect(migrationBlocker(held, T0 + 2_000, new Map([['w1', T0 + 5_000]]))).toMatchObject({ reason: 'lease', until: T0 + 5_000 });
    expect(migrationBlocker(held, T0 + 10, new Map([['w1', 0]]))).toBeUndefined();
  });

  it('keeps a compensating or finished saga on the version it started with', () => {
    const compensating = stateOf([
      ...afterCharge,
      sagaEvent('SagaCancelRequested', { reason: 'r', at: T0 }),
      sagaEvent('CompensationPlanned', { cause: 'cancel', failedStep: null, plan: ['charge', 'reserve'], at: T0 }),
    ]);
    expect(migrationBlocker(compensating, T0)).toMatchObject({ reason: 'status' });
    expect(migrationBlocker(stateOf([...afterCharge, sagaEvent('SagaFailed', { reason: 'x', step: null, needsAttention: true, at: T0 })]), T0)?.reason).toBe(
      'status',
    );
  });
});

describe('migrationEvent and evolve', () => {
  it('moves done steps and the step in doubt to the new version, and decide runs the in-doubt step as the new version’s', () => {
    const old = stateOf([...afterCharge, stepStarted('ship', 1, T0, 1_000)]);
    expect(migrationSnapshot(old)).toMatchObject({ version: 1, succeeded: ['reserve', 'charge'], current: 'ship' });
    // `ship` is renamed `dispatch` in v2: the step in doubt must keep its name, so this migration is refused…
    expect(migrationEvent(old, v2, { input: old.input, outputs: old.outputs }, T0 + 2_000).problem).toMatch(/step ship is in flight/);
    // …and a v2 that keeps the name takes it over.
    const v2ship: SagaModel = { ...v2, steps: [...v2.steps.slice(0, 3), stepOf('ship', { retry: policy, compensable: false })] };
    const made = migrationEvent(old, v2ship, { input: old.input, outputs: old.outputs, skipped: ['notify'] }, T0 + 2_000);
    expect(made.problem).toBeUndefined();
    const migrated = fold([made.event as SagaEvent], old) as SagaState;
    expect(migrated.version).toBe(2);
    expect(migrated.steps.map((s) => [s.name, s.status, s.attempts])).toEqual([
      ['reserve', 'succeeded', 1],
      ['charge', 'succeeded', 1],
      ['notify', 'skipped', 0],
      ['ship', 'running', 1],
    ]);
    expect(valid(migrated, v2ship)).toBe(true);
    expect(canContinue(v2ship, migrated, T0 + 2_000)).toBe(true);
    expect(decide(v2ship, migrated, T0 + 2_000)).toMatchObject({ type: 'RunStep', step: 'ship', attempt: 2 });
  });

  it('upcasts outputs and input, and a new step before the next one runs next', () => {
    const old = stateOf(afterCharge);
    const made = migrationEvent(old, v2, { input: { qty: 1, currency: 'EUR' }, outputs: { reserve: { sku: 'x' }, charge: { cents: 5 } } }, T0 + 1);
    const migrated = fold([made.event as SagaEvent], old) as SagaState;
    expect(migrated).toMatchObject({ version: 2, input: { qty: 1, currency: 'EUR' }, outputs: { reserve: { sku: 'x' }, charge: { cents: 5 } } });
    expect(decide(v2, migrated, T0 + 1)).toMatchObject({ type: 'RunStep', step: 'notify', attempt: 1 });
  });

  it('refuses a result that does not fit: an unknown step, a gap before a done step, a skipped step that is not optional, the wrong target', () => {
    const old = stateOf(afterCharge);
    expect(migrationEvent(old, v2, { input: null, outputs: { reserve: 1, ship: 2 } }, T0).problem).toMatch(/step ship, which version 2 does not have/);
    expect(migrationEvent(old, v2, { input: null, outputs: { reserve: 1, dispatch: 2 } }, T0).problem).toMatch(/step charge comes before a done step/);
    expect(migrationEvent(old, v2, { input: null, outputs: { reserve: 1 }, skipped: ['charge'] }, T0).problem).toMatch(
      /charge is marked skipped but is not an optional/,
    );
    expect(migrationEvent(old, { ...v2, version: 3 }, { input: null, outputs: {} }, T0).problem).toMatch(/target must be order@2/);
  });

  it('caps attempts carried over by the new version’s budget, so the state stays valid', () => {
    const old = stateOf([...afterCharge, stepStarted('ship', 1, T0, 10), stepStarted('ship', 2, T0 + 20, 10), stepStarted('ship', 3, T0 + 40, 10)]);
    const v2ship: SagaModel = { ...v2, steps: [...v2.steps.slice(0, 3), stepOf('ship', { retry: { ...policy, maxAttempts: 2 } })] };
    const made = migrationEvent(old, v2ship, { input: old.input, outputs: old.outputs, skipped: ['notify'] }, T0 + 100);
    const migrated = fold([made.event as SagaEvent], old) as SagaState;
    expect(valid(migrated, v2ship)).toBe(true);
    // The in-doubt attempt has no budget left under v2: it is abandoned as partially applied, and the saga compensates.
    expect(decide(v2ship, migrated, T0 + 100)).toMatchObject({ type: 'AbandonStep', step: 'ship' });
    const next = transition(v2ship, migrated, { type: 'Tick', now: T0 + 100 }, { workerId: 'w2', leaseMs: 500, random: 0 });
    expect(next.events.map((e) => e.type)).toContain('CompensationPlanned');
  });

  it('refuses to shrink the budget of a step below the retry the old version already scheduled', () => {
    const old = stateOf([
      ...afterCharge,
      stepStarted('ship', 1, T0, 10),
      sagaEvent('StepFailed', { step: 'ship', attempt: 1, kind: 'transient', exhausted: false, error: { name: 'E', code: 'E', message: 'x' }, at: T0 + 1 }),
      sagaEvent('RetryScheduled', { phase: 'step', step: 'ship', attempt: 2, dueAt: T0 + 100, at: T0 + 1 }),
    ]);
    const tight: SagaModel = { ...v2, steps: [...v2.steps.slice(0, 3), stepOf('ship', { retry: { ...policy, maxAttempts: 1 } })] };
    const made = migrationEvent(old, tight, { input: old.input, outputs: old.outputs, skipped: ['notify'] }, T0 + 2);
    expect(made.problem).toMatch(/step ship has attempt 2 scheduled, but version 2 allows 1/);
  });

  it('ignores a migration event that does not start from the saga’s version, or of a saga that is not running', () => {
    const old = stateOf(afterCharge);
    const event = migrationEvent(old, v2, { input: old.input, outputs: old.outputs }, T0).event as SagaEvent;
    const twice = fold([event, event], old) as SagaState;
    expect(twice.version).toBe(2);
    expect(versionViolations([...afterCharge, event, event])).toEqual([expect.stringMatching(/revision 7: SagaMigrated 1 → 2 did not move the saga/)]);
    const parked = [...afterCharge, sagaEvent('SagaFailed', { reason: 'x', step: null, needsAttention: true, at: T0 }), event];
    expect(fold(parked)?.version).toBe(1);
  });

  it('versionViolations is empty for a stream that changes version only through migrations', () => {
    const old = stateOf(afterCharge);
    const event = migrationEvent(old, v2, { input: old.input, outputs: old.outputs }, T0).event as SagaEvent;
    expect(versionViolations([...afterCharge, event, stepStarted('notify')])).toEqual([]);
    expect(versionViolations(afterCharge)).toEqual([]);
  });
});

describe('resume after a park that interrupted a step', () => {
  it('treats the interrupted attempt as in doubt, so the resumed saga runs it again', () => {
    const parked = stateOf([
      ...afterCharge,
      stepStarted('ship', 1, T0, 1_000),
      sagaEvent('SagaFailed', { reason: 'version not registered', step: null, needsAttention: true, code: 'DEFINITION_VERSION_NOT_REGISTERED', at: T0 + 1 }),
      sagaEvent('SagaResumed', { by: 'operator', at: T0 + 2 }),
    ]);
    expect(parked.status).toBe('running');
    expect(decide(model, parked, T0 + 2)).toMatchObject({ type: 'RunStep', step: 'ship', attempt: 2 });
    expect(canContinue(model, parked, T0 + 2)).toBe(true);
  });

  it('re-schedules a retry the park dropped', () => {
    const parked = stateOf([
      ...afterCharge,
      stepStarted('ship', 1, T0, 1_000),
      sagaEvent('StepFailed', { step: 'ship', attempt: 1, kind: 'transient', exhausted: false, error: { name: 'E', code: 'E', message: 'x' }, at: T0 + 1 }),
      sagaEvent('RetryScheduled', { phase: 'step', step: 'ship', attempt: 2, dueAt: T0 + 100, at: T0 + 1 }),
      sagaEvent('SagaFailed', { reason: 'x', step: null, needsAttention: true, at: T0 + 2 }),
      sagaEvent('SagaResumed', { by: 'operator', at: T0 + 3 }),
    ]);
    expect(decide(model, parked, T0 + 3)).toMatchObject({ type: 'RunStep', step: 'ship', attempt: 2 });
  });
});
