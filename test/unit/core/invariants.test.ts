import { describe, expect, it } from 'vitest';
import { canContinue, fold, sagaEvent, valid, violations } from '../../../src/core/index.js';
import type { SagaState } from '../../../src/core/index.js';
import { T0, model, started, stepStarted, stepSucceeded } from '../../support/coreFixtures.js';

const twoDone = [started(), stepStarted('reserve'), stepSucceeded('reserve'), stepStarted('charge'), stepSucceeded('charge')];

describe('valid(state) and canContinue(model, state)', () => {
  it('a saga in progress is valid and can continue', () => {
    const s = fold(twoDone) as SagaState;
    expect(violations(s, model)).toEqual([]);
    expect(canContinue(model, s, T0)).toBe(true);
  });

  it('flags compensations out of reverse order', () => {
    const s = fold([...twoDone, sagaEvent('CompensationPlanned', { cause: 'cancel', failedStep: null, plan: ['reserve', 'charge'], at: T0 })]) as SagaState;
    expect(violations(s, model).join()).toMatch(/not the reverse of completed steps/);
  });

  it('flags a completed saga with a step that never succeeded', () => {
    const s = fold([started(), stepStarted('reserve'), stepSucceeded('reserve'), sagaEvent('SagaCompleted', { output: {}, at: T0 })]) as SagaState;
    expect(violations(s, model).join()).toMatch(/completed but not every step/);
  });

  it('flags steps that succeeded out of definition order', () => {
    const s = fold([started(), stepStarted('charge'), stepSucceeded('charge')]) as SagaState;
    expect(valid(s, model)).toBe(false);
  });

  it('flags attempts beyond the policy', () => {
    const s = fold([started(), stepStarted('reserve', 9)]) as SagaState;
    expect(violations(s, model).join()).toMatch(/ran 9 attempts, policy allows 4/);
  });

  it('a state stuck with a failed step and no recovery planned cannot continue', () => {
    const s = fold([
      started(),
      stepStarted('reserve'),
      sagaEvent('StepFailed', { step: 'reserve', attempt: 1, kind: 'permanent', exhausted: false, error: { name: 'E', code: 'E', message: 'x' }, at: T0 }),
    ]) as SagaState;
    expect(canContinue(model, s, T0)).toBe(false);
  });

  it('a parked saga counts as able to continue: an operator resumes it', () => {
    const s = fold([...twoDone, sagaEvent('SagaFailed', { reason: 'x', step: 'charge', needsAttention: true, at: T0 })]) as SagaState;
    expect(canContinue(model, s, T0)).toBe(true);
  });
});
