import { describe, expect, it } from 'vitest';
import { evolve, fold, sagaEvent } from '../../../src/core/index.js';
import type { SagaEvent, SagaState } from '../../../src/core/index.js';
import { T0, started, stepStarted, stepSucceeded } from '../../support/coreFixtures.js';

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

const history: SagaEvent[] = [
  started(),
  stepStarted('reserve'),
  stepSucceeded('reserve'),
  sagaEvent('CheckpointRecorded', { step: 'reserve', snapshot: null, at: T0 }),
  stepStarted('charge'),
  sagaEvent('StepFailed', { step: 'charge', attempt: 1, kind: 'partial', exhausted: false, error: { name: 'E', code: 'E', message: 'half' }, at: T0 + 5 }),
  sagaEvent('CompensationPlanned', { cause: 'partial', failedStep: 'charge', plan: ['charge', 'reserve'], at: T0 + 5 }),
  sagaEvent('CompensationStarted', { step: 'charge', attempt: 1, worker: 'w', leaseUntil: T0 + 9, at: T0 + 6 }),
  sagaEvent('CompensationSucceeded', { step: 'charge', attempt: 1, at: T0 + 7 }),
];

describe('evolve / fold', () => {
  it('never mutates the state it is given (states are frozen here)', () => {
    let state: SagaState | undefined;
    for (const event of history) state = evolve(state === undefined ? undefined : deepFreeze(state), deepFreeze(event));
    expect(state?.compensation?.done).toEqual(['charge']);
  });

  it('ignores events before SagaStarted and a second SagaStarted', () => {
    expect(fold([stepStarted('reserve')])).toBeUndefined();
    const once = fold([started()]);
    const twice = fold([started(), started()]);
    expect(twice?.status).toBe(once?.status);
    expect(twice?.steps).toEqual(once?.steps);
  });

  it('folding from a snapshot gives the same state as folding everything', () => {
    const snapshot = fold(history.slice(0, 3)) as SagaState;
    expect(fold(history.slice(3), JSON.parse(JSON.stringify(snapshot)) as SagaState)).toEqual(fold(history));
  });

  it('tracks the outcome facts a user audits: outputs, failure, compensation progress, checkpoint', () => {
    const s = fold(history) as SagaState;
    expect(s.outputs).toEqual({ reserve: { ok: 'reserve' } });
    expect(s.failure).toMatchObject({ step: 'charge', kind: 'partial', message: 'half' });
    expect(s.lastCheckpoint).toBe('reserve');
    expect(s.status).toBe('compensating');
    expect(s.updatedAt).toBe(T0 + 7);
  });

  it('a cancel request after the saga ended changes nothing', () => {
    const done = fold([started(), sagaEvent('SagaCompleted', { output: {}, at: T0 }), sagaEvent('SagaCancelRequested', { reason: 'late', at: T0 })]);
    expect(done?.cancelRequested).toBeNull();
    expect(done?.status).toBe('completed');
  });
});
