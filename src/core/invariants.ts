/**
 * The executable halves of the theorem valid(R(f, s)) ∧ canContinue(R(f, s)). Used by the
 * property tests and by `verify` on real streams. Pure.
 */
import { decide } from './decide.js';
import { groupViolations, slotsOf } from './parallelInvariants.js';
import { compensationPlan } from './recover.js';
import type { SagaModel } from './sagaModel.js';
import { stepModel } from './sagaModel.js';
import type { SagaState } from './sagaState.js';
import { SagaStatus } from './sagaState.js';
import { signalViolations } from './signals.js';

/** Each broken rule, in words; empty when the state is valid. */
export function violations(state: SagaState, model?: SagaModel): string[] {
  const problems: string[] = [];
  const index = new Map(state.steps.map((s, i) => [s.name, i]));

  // Succeeded steps are a prefix of the definition order, skipped optional steps aside.
  // The branches of a parallel group share one slot: they may succeed in any order among themselves.
  const slot = state.steps.some((s) => s.parallel) ? slotsOf(state.steps) : index;
  const positions = state.succeeded.map((name) => index.get(name) ?? -1);
  if (positions.some((p) => p < 0)) problems.push('a succeeded step is not in the definition');
  const slots = state.succeeded.map((name) => slot.get(name) ?? -1);
  const sameGroup = (i: number) => state.steps[positions[i] ?? -1]?.parallel !== undefined && slots[i] === slots[i - 1];
  if (slots.some((p, i) => i > 0 && p <= (slots[i - 1] ?? -1) && !sameGroup(i))) problems.push('steps succeeded out of definition order');
  const lastSlot = Math.max(-1, ...slots);
  state.steps
    .filter((s) => (slot.get(s.name) ?? 0) < lastSlot || ((slot.get(s.name) ?? 0) === lastSlot && !s.parallel))
    .forEach((s) => {
      const ok = state.succeeded.includes(s.name) || (s.status === 'skipped' && s.optional);
      if (!ok) problems.push(`step ${s.name} precedes a succeeded step but neither succeeded nor was skipped as optional`);
    });
  for (const s of state.steps) if (s.status === 'skipped' && !s.optional) problems.push(`step ${s.name} was skipped but is not optional`);

  // Compensations: a subset of what succeeded (plus a partially failed step), in exact reverse order.
  const progress = state.compensation;
  if (progress) {
    const expected = compensationPlan(state, progress.cause === 'partial' ? progress.failedStep : null);
    if (JSON.stringify(expected) !== JSON.stringify(progress.plan)) {
      problems.push(`compensation plan [${progress.plan.join(', ')}] is not the reverse of completed steps [${expected.join(', ')}]`);
    }
    if (progress.done.some((name, i) => progress.plan[i] !== name)) problems.push('compensations ran out of reverse order');
  }
  const compensated = state.steps.filter((s) => s.status === 'compensated').map((s) => s.name);
  for (const name of compensated) if (!progress?.done.includes(name)) problems.push(`step ${name} is compensated outside the plan`);

  // Statuses agree.
  switch (state.status) {
    case SagaStatus.Completed:
      if (state.steps.some((s) => s.status !== 'succeeded' && s.status !== 'skipped')) problems.push('completed but not every step succeeded or was skipped');
      if (progress) problems.push('completed but compensation began');
      break;
    case SagaStatus.Compensated:
      if (!progress || progress.done.length !== progress.plan.length) problems.push('compensated but not every planned compensation ran');
      break;
    case SagaStatus.Running:
      if (progress) problems.push('running but compensation began');
      break;
    case SagaStatus.Compensating:
      if (!progress) problems.push('compensating without a plan');
      break;
    case SagaStatus.Failed:
      if (!state.needsAttention) problems.push('parked without needsAttention');
      break;
  }

  // At most one effect in flight, and attempts within the policy.
  if (state.steps.filter((s) => s.status === 'running' && !s.parallel).length > 1) problems.push('more than one step in flight');
  problems.push(...groupViolations(state));
  if (state.inFlight && !index.has(state.inFlight.step)) problems.push('in-flight step is not in the definition');
  if (model) {
    for (const s of state.steps) {
      const m = stepModel(model, s.name);
      if (!m) problems.push(`step ${s.name} is not in definition ${model.name}@${model.version}`);
      else {
        if (s.attempts > m.retry.maxAttempts) problems.push(`step ${s.name} ran ${s.attempts} attempts, policy allows ${m.retry.maxAttempts}`);
        if (s.compensationAttempts - s.compensationAttemptsBeforeResume > m.compensationRetry.maxAttempts)
          problems.push(`compensation of ${s.name} ran ${s.compensationAttempts - s.compensationAttemptsBeforeResume} attempts since its last resume`);
      }
    }
  }
  problems.push(...signalViolations(state, model));
  return problems;
}

/** valid(s): the state is consistent (see docs/model.md for each rule). Pure. */
export function valid(state: SagaState, model?: SagaModel): boolean {
  return violations(state, model).length === 0;
}

/**
 * canContinue(s): the state is a consistent terminal one (completed, compensated, or parked
 * awaiting an operator's resume), or `decide` yields a command other than Nothing. Pure.
 */
export function canContinue(model: SagaModel, state: SagaState, now: number): boolean {
  if (state.status === SagaStatus.Completed || state.status === SagaStatus.Compensated) return valid(state, model);
  if (state.status === SagaStatus.Failed) return state.needsAttention;
  return decide(model, state, now).type !== 'Nothing';
}
