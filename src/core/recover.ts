/**
 * The recovery function R(failure, state) → events. Pure: time and randomness come in as
 * arguments. Its output, folded onto the state, must be `valid` and `canContinue` — the
 * theorem the property tests check (docs/model.md).
 *
 *   transient → retry (immediately, then backoff with jitter), exhausted → as permanent
 *   permanent → optional step: skip it (forward recovery);
 *               otherwise roll back to the last checkpoint, then compensate (backward recovery)
 *   partial   → compensate this step, then every completed step in reverse order;
 *               a step without a compensation falls back to rollback
 *   compensation failure → retry with backoff, exhausted (or permanent) → park, needs attention
 */
import type { CompensationCause, ErrorInfo, FailureKind, Phase, SagaEvent } from './events.js';
import { sagaEvent } from './events.js';
import { appliedOrder, groupOf, isStopping } from './parallelGroup.js';
import { canRetry, nextDelay } from './retryPolicy.js';
import type { SagaModel } from './sagaModel.js';
import { stepModel } from './sagaModel.js';
import type { SagaState } from './sagaState.js';

/** A classified failure of one attempt of a step or compensation. */
export interface Failure {
  /** Whether the attempt ran the step's action or its compensation. */
  phase: Phase;
  /** The step's name. */
  step: string;
  /** The attempt that failed. */
  attempt: number;
  /** The failure's classification. */
  kind: FailureKind;
  /** What was thrown. */
  error: ErrorInfo;
  /** How long the attempt ran, as the worker measured it; recorded in the failure event. */
  durationMs?: number;
}

/** Injected sources: the runtime's clock and random number in [0, 1). */
export interface RecoveryContext {
  /** The current time, in ms since the epoch. */
  now: number;
  /** A number in [0, 1), for the retry delay's jitter. */
  random: number;
}

/**
 * The compensations to run, in order: the partially applied step first (when `partialStep`
 * is given and compensable), then every succeeded step that has a compensation, latest first.
 */
export function compensationPlan(state: SagaState, partialStep: string | null): string[] {
  const compensable = new Set(state.steps.filter((s) => s.compensable).map((s) => s.name));
  // Reverse of the order outcomes were recorded: a parallel group's partially failed branches are in it.
  const done = [...appliedOrder(state)].reverse().filter((name) => compensable.has(name));
  return partialStep !== null && compensable.has(partialStep) && !done.includes(partialStep) ? [partialStep, ...done] : done;
}

/** Events that start backward recovery for `cause`. Pure. */
export function planCompensation(state: SagaState, cause: CompensationCause, failedStep: string | null, now: number): SagaEvent[] {
  return [sagaEvent('CompensationPlanned', { cause, failedStep, plan: compensationPlan(state, cause === 'partial' ? failedStep : null), at: now })];
}

function rollBack(state: SagaState, step: string, cause: CompensationCause, now: number): SagaEvent[] {
  return [sagaEvent('RolledBack', { step, toCheckpoint: state.lastCheckpoint, at: now }), ...planCompensation(state, cause, step, now)];
}

function recoverStep(model: SagaModel, state: SagaState, failure: Failure, ctx: RecoveryContext): SagaEvent[] {
  const step = stepModel(model, failure.step);
  const shape = state.steps.find((s) => s.name === failure.step);
  const elapsed = ctx.now - (shape?.firstStartedAt ?? ctx.now);
  // A branch of a stopping parallel group is not retried: the group is about to compensate.
  const branch = groupOf(state, failure.step) !== undefined;
  const retryable = failure.kind === 'transient' && step !== undefined && canRetry(step.retry, failure.attempt, elapsed) && !(branch && isStopping(state));
  const failed = sagaEvent('StepFailed', {
    step: failure.step,
    attempt: failure.attempt,
    kind: failure.kind,
    exhausted: failure.kind === 'transient' && !retryable,
    error: failure.error,
    ...(failure.durationMs === undefined ? {} : { durationMs: failure.durationMs }),
    at: ctx.now,
  });
  if (retryable) {
    const dueAt = ctx.now + nextDelay(step.retry, failure.attempt, ctx.random);
    return [failed, sagaEvent('RetryScheduled', { phase: 'step', step: failure.step, attempt: failure.attempt + 1, dueAt, at: ctx.now })];
  }
  // A branch that fails for good stops its group; compensation is planned (decide's
  // CompensateGroup) once no sibling is in flight any more.
  if (branch && !(shape?.optional && failure.kind !== 'partial')) return [failed];
  if (failure.kind === 'partial' && shape?.compensable) return [failed, ...planCompensation(state, 'partial', failure.step, ctx.now)];
  if (shape?.optional && failure.kind !== 'partial') {
    return [failed, sagaEvent('StepSkipped', { step: failure.step, reason: `${failure.error.code}: ${failure.error.message}`, at: ctx.now })];
  }
  const cause: CompensationCause = failure.kind === 'transient' ? 'exhausted' : 'permanent';
  return [failed, ...rollBack(state, failure.step, cause, ctx.now)];
}

function recoverCompensation(model: SagaModel, state: SagaState, failure: Failure, ctx: RecoveryContext): SagaEvent[] {
  const policy = stepModel(model, failure.step)?.compensationRetry;
  const shape = state.steps.find((s) => s.name === failure.step);
  const elapsed = ctx.now - (shape?.compensationFirstStartedAt ?? ctx.now);
  const failed = sagaEvent('CompensationFailed', {
    step: failure.step,
    attempt: failure.attempt,
    kind: failure.kind,
    error: failure.error,
    ...(failure.durationMs === undefined ? {} : { durationMs: failure.durationMs }),
    at: ctx.now,
  });
  // A compensation must eventually succeed, so every kind but permanent is retried.
  // An operator's resume grants a fresh budget: count only the attempts made since.
  const since = failure.attempt - (shape?.compensationAttemptsBeforeResume ?? 0);
  if (failure.kind !== 'permanent' && policy && canRetry(policy, since, elapsed)) {
    const dueAt = ctx.now + nextDelay(policy, since, ctx.random);
    return [failed, sagaEvent('RetryScheduled', { phase: 'compensation', step: failure.step, attempt: failure.attempt + 1, dueAt, at: ctx.now })];
  }
  const reason = `compensation of ${failure.step} failed after ${failure.attempt} attempt(s): ${failure.error.code}: ${failure.error.message}`;
  return [failed, sagaEvent('SagaFailed', { reason, step: failure.step, needsAttention: true, at: ctx.now })];
}

/**
 * R(failure, state): the events that record a failed attempt and the recovery it calls for.
 * Pure; does not append. The first event is always the failure fact itself.
 */
export function recover(model: SagaModel, state: SagaState, failure: Failure, ctx: RecoveryContext): SagaEvent[] {
  return failure.phase === 'step' ? recoverStep(model, state, failure, ctx) : recoverCompensation(model, state, failure, ctx);
}
