/**
 * decide(model, state, now) → the one next command. Pure: time comes in as `now`.
 * The runtime performs the command and appends the resulting events; then decides again.
 */
import type { CompensationCause } from './events.js';
import type { SagaModel } from './sagaModel.js';
import { stepModel } from './sagaModel.js';
import type { SagaState } from './sagaState.js';
import { SagaStatus } from './sagaState.js';

export type SagaCommand =
  /** Start attempt `attempt` of a step's action (append StepStarted, then run it). */
  | { type: 'RunStep'; step: string; attempt: number; idempotencyKey: string }
  /** Start attempt `attempt` of a step's compensation. */
  | { type: 'RunCompensation'; step: string; attempt: number; idempotencyKey: string }
  /** An in-doubt step has no attempts left: record it failed as partially applied (it may have acted) and recover. */
  | { type: 'AbandonStep'; step: string; attempt: number }
  /** An in-doubt compensation has no attempts left: park the saga. */
  | { type: 'Park'; step: string | null; reason: string }
  /** Plan compensations for a cancelled saga. */
  | { type: 'BeginCompensation'; cause: CompensationCause }
  | { type: 'RecordCheckpoint' }
  /** Nothing to do before `until` (a retry timer or another worker's lease). */
  | { type: 'Wait'; until: number; reason: 'retry' | 'lease' }
  | { type: 'Complete' }
  | { type: 'FinishCompensated' }
  /** Terminal, parked, or inconsistent: nothing to do. */
  | { type: 'Nothing' };

export function stepIdempotencyKey(sagaId: string, step: string): string {
  return `${sagaId}/${step}`;
}
export function compensationIdempotencyKey(sagaId: string, step: string): string {
  return `${sagaId}/${step}/compensate`;
}

const NOTHING: SagaCommand = { type: 'Nothing' };

function decideRunning(model: SagaModel, state: SagaState, now: number): SagaCommand {
  const { inFlight, retry } = state;
  if (inFlight) {
    // Another worker holds the step until its lease ends; after that it is in doubt and re-runs.
    if (inFlight.leaseUntil > now) return { type: 'Wait', until: inFlight.leaseUntil, reason: 'lease' };
    const policy = stepModel(model, inFlight.step)?.retry;
    if (policy && inFlight.attempt >= policy.maxAttempts) return { type: 'AbandonStep', step: inFlight.step, attempt: inFlight.attempt };
    return { type: 'RunStep', step: inFlight.step, attempt: inFlight.attempt + 1, idempotencyKey: stepIdempotencyKey(state.sagaId, inFlight.step) };
  }
  if (state.cancelRequested !== null) return { type: 'BeginCompensation', cause: 'cancel' };
  if (retry && retry.phase === 'step') {
    if (retry.dueAt > now) return { type: 'Wait', until: retry.dueAt, reason: 'retry' };
    return { type: 'RunStep', step: retry.step, attempt: retry.attempt, idempotencyKey: stepIdempotencyKey(state.sagaId, retry.step) };
  }
  const next = state.steps.find((s) => s.status !== 'succeeded' && s.status !== 'skipped');
  if (!next) return { type: 'Complete' };
  // A failed step without a scheduled retry has been recovered by other events, or the stream is inconsistent.
  if (next.status !== 'pending') return NOTHING;
  return { type: 'RunStep', step: next.name, attempt: next.attempts + 1, idempotencyKey: stepIdempotencyKey(state.sagaId, next.name) };
}

function decideCompensating(model: SagaModel, state: SagaState, now: number): SagaCommand {
  const progress = state.compensation;
  if (!progress) return NOTHING;
  const { inFlight, retry } = state;
  if (inFlight) {
    if (inFlight.leaseUntil > now) return { type: 'Wait', until: inFlight.leaseUntil, reason: 'lease' };
    const policy = stepModel(model, inFlight.step)?.compensationRetry;
    const before = state.steps.find((s) => s.name === inFlight.step)?.compensationAttemptsBeforeResume ?? 0;
    if (policy && inFlight.attempt - before >= policy.maxAttempts) {
      return { type: 'Park', step: inFlight.step, reason: `compensation of ${inFlight.step} in doubt after ${inFlight.attempt} attempts` };
    }
    if (inFlight.phase === 'compensation') {
      return { type: 'RunCompensation', step: inFlight.step, attempt: inFlight.attempt + 1, idempotencyKey: compensationIdempotencyKey(state.sagaId, inFlight.step) };
    }
  }
  if (retry && retry.phase === 'compensation') {
    if (retry.dueAt > now) return { type: 'Wait', until: retry.dueAt, reason: 'retry' };
    return { type: 'RunCompensation', step: retry.step, attempt: retry.attempt, idempotencyKey: compensationIdempotencyKey(state.sagaId, retry.step) };
  }
  const next = progress.plan[progress.done.length];
  if (next === undefined) return { type: 'FinishCompensated' };
  const attempts = state.steps.find((s) => s.name === next)?.compensationAttempts ?? 0;
  return { type: 'RunCompensation', step: next, attempt: attempts + 1, idempotencyKey: compensationIdempotencyKey(state.sagaId, next) };
}

/**
 * The next command for a saga. Pure; does not append. A checkpoint that is due comes first so
 * that it is batched with the next intent.
 */
export function decide(model: SagaModel, state: SagaState | undefined, now: number): SagaCommand {
  if (!state) return NOTHING;
  if (state.status !== SagaStatus.Running && state.status !== SagaStatus.Compensating) return NOTHING;
  if (state.checkpointDue || state.eventsSinceCheckpoint >= model.checkpointEvery) return { type: 'RecordCheckpoint' };
  return state.status === SagaStatus.Running ? decideRunning(model, state, now) : decideCompensating(model, state, now);
}
