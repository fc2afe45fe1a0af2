/**
 * decide(model, state, now) → the one next command. Pure: time comes in as `now`.
 * The runtime performs the command and appends the resulting events; then decides again.
 */
import type { CompensationCause } from './events.js';
import { decideGroup } from './parallelDecide.js';
import type { SagaModel } from './sagaModel.js';
import { stepModel } from './sagaModel.js';
import type { SagaState } from './sagaState.js';
import { SagaStatus } from './sagaState.js';
import type { SignalCommand } from './signals.js';
import { awaitOrRun, decideWaiting } from './signals.js';

/**
 * What the saga should do next, as {@link decide} chooses it from the state: the runtime
 * performs it, appends the resulting events, and decides again.
 */
export type SagaCommand =
  /** Start attempt `attempt` of a step's action (append StepStarted, then run it). */
  | {
      /** Discriminant. */
      type: 'RunStep';
      /** The step's name. */
      step: string;
      /** The attempt's number, 1 for the first. */
      attempt: number;
      /** `<sagaId>/<step>` (see {@link stepIdempotencyKey}), handed to the step. */
      idempotencyKey: string;
    }
  /** Start attempt `attempt` of a step's compensation. */
  | {
      /** Discriminant. */
      type: 'RunCompensation';
      /** The step whose compensation runs. */
      step: string;
      /** The compensation attempt's number, 1 for the first. */
      attempt: number;
      /** `<sagaId>/<step>/compensate` (see {@link compensationIdempotencyKey}), handed to the compensation. */
      idempotencyKey: string;
    }
  /** An in-doubt step has no attempts left: record it failed as partially applied (it may have acted) and recover. */
  | {
      /** Discriminant. */
      type: 'AbandonStep';
      /** The in-doubt step. */
      step: string;
      /** Its last attempt. */
      attempt: number;
    }
  /** An in-doubt compensation has no attempts left: park the saga. */
  | {
      /** Discriminant. */
      type: 'Park';
      /** The step the saga is stuck on, null when it is not one step's. */
      step: string | null;
      /** Why, for the operator (recorded in `SagaFailed`). */
      reason: string;
    }
  /** Plan compensations for a cancelled saga. */
  | {
      /** Discriminant. */
      type: 'BeginCompensation';
      /** Why the saga compensates. */
      cause: CompensationCause;
    }
  /** A parallel group stopped after a branch failed for good, and no branch is in flight any more: plan its compensations. */
  | {
      /** Discriminant. */
      type: 'CompensateGroup';
      /** The branch whose failure stopped the group. */
      step: string;
      /** Why the saga compensates. */
      cause: CompensationCause;
    }
  /** A checkpoint is due (a `checkpoint: true` step succeeded, or `checkpointEvery` events passed). */
  | {
      /** Discriminant. */
      type: 'RecordCheckpoint';
    }
  /** Nothing to do before `until` (a retry timer or another worker's lease). */
  | {
      /** Discriminant. */
      type: 'Wait';
      /** When to decide again, in ms since the epoch. */
      until: number;
      /** What is awaited: a scheduled retry, the end of another worker's lease, or a signal's deadline. */
      reason: 'retry' | 'lease' | 'signal';
    }
  /** A step that waits for a signal: begin, end or time out the wait. */
  | SignalCommand
  /** Every step succeeded or was skipped: record the saga completed. */
  | {
      /** Discriminant. */
      type: 'Complete';
    }
  /** Every planned compensation succeeded: record the saga compensated. */
  | {
      /** Discriminant. */
      type: 'FinishCompensated';
    }
  /** Terminal, parked, or inconsistent: nothing to do. */
  | {
      /** Discriminant. */
      type: 'Nothing';
    };

/** The idempotency key of a step's action: `<sagaId>/<step>`, the same for every attempt. */
export function stepIdempotencyKey(sagaId: string, step: string): string {
  return `${sagaId}/${step}`;
}
/** The idempotency key of a step's compensation: `<sagaId>/<step>/compensate`. */
export function compensationIdempotencyKey(sagaId: string, step: string): string {
  return `${sagaId}/${step}/compensate`;
}

const NOTHING: SagaCommand = { type: 'Nothing' };

function decideRunning(model: SagaModel, state: SagaState, now: number): SagaCommand {
  const group = decideGroup(model, state, now);
  if (group) return group;
  const { inFlight, retry } = state;
  if (inFlight) {
    // Another worker holds the step until its lease ends; after that it is in doubt and re-runs.
    if (inFlight.leaseUntil > now) return { type: 'Wait', until: inFlight.leaseUntil, reason: 'lease' };
    const policy = stepModel(model, inFlight.step)?.retry;
    if (policy && inFlight.attempt >= policy.maxAttempts) return { type: 'AbandonStep', step: inFlight.step, attempt: inFlight.attempt };
    return { type: 'RunStep', step: inFlight.step, attempt: inFlight.attempt + 1, idempotencyKey: stepIdempotencyKey(state.sagaId, inFlight.step) };
  }
  if (state.cancelRequested !== null) return { type: 'BeginCompensation', cause: 'cancel' };
  const waiting = decideWaiting(state, now);
  if (waiting) return waiting;
  if (retry && retry.phase === 'step') {
    if (retry.dueAt > now) return { type: 'Wait', until: retry.dueAt, reason: 'retry' };
    return awaitOrRun(model, retry.step, retry.attempt, now, () => ({
      type: 'RunStep',
      step: retry.step,
      attempt: retry.attempt,
      idempotencyKey: stepIdempotencyKey(state.sagaId, retry.step),
    }));
  }
  const next = state.steps.find((s) => s.status !== 'succeeded' && s.status !== 'skipped');
  if (!next) return { type: 'Complete' };
  // A failed step without a scheduled retry has been recovered by other events, or the stream is inconsistent.
  if (next.status !== 'pending') return NOTHING;
  return awaitOrRun(model, next.name, next.attempts + 1, now, () => ({
    type: 'RunStep',
    step: next.name,
    attempt: next.attempts + 1,
    idempotencyKey: stepIdempotencyKey(state.sagaId, next.name),
  }));
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
      return {
        type: 'RunCompensation',
        step: inFlight.step,
        attempt: inFlight.attempt + 1,
        idempotencyKey: compensationIdempotencyKey(state.sagaId, inFlight.step),
      };
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
