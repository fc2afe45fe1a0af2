/**
 * What `transition` adds for parallel groups: the liveness of the workers holding branch
 * attempts, and the cancellation of the branches still in flight when their group stops.
 * Pure.
 */
import { isStopping } from './parallelGroup.js';
import type { SagaState } from './sagaState.js';
import type { CancelAttemptEffect, TransitionContext } from './transitionTypes.js';

/** The lease `decide` sees for an attempt this runtime is performing: it never runs out, and no timer waits for it. */
export const HELD = Number.MAX_SAFE_INTEGER;

/**
 * The state as `decide` should see it: each branch attempt of another worker whose liveness
 * the runtime knows lasts as long as that worker (as withWorkerLease does for a sequential one).
 */
export function withBranchLeases(state: SagaState, ctx: TransitionContext): SagaState {
  const p = state.parallel;
  const alive = ctx.workerAliveUntil;
  const performing = ctx.performing;
  if (!p || (!alive && !performing)) return state;
  let changed = false;
  const inFlight = p.inFlight.map((f) => {
    if (f.worker === ctx.workerId && performing?.has(`${f.phase}/${f.step}/${f.attempt}`)) {
      changed ||= f.leaseUntil !== HELD;
      return { ...f, leaseUntil: HELD };
    }
    const until = f.worker === ctx.workerId ? undefined : alive?.get(f.worker);
    if (until === undefined) return f;
    // 0: known dead; a record renewed before the attempt started shortens nothing.
    const leaseUntil = until === 0 ? 0 : Math.max(f.leaseUntil, until);
    if (leaseUntil === f.leaseUntil) return f;
    changed = true;
    return { ...f, leaseUntil };
  });
  return changed ? { ...state, parallel: { ...p, inFlight } } : state;
}

/**
 * The branches to cancel because this transition stopped their group: every branch attempt
 * still in flight, when the group was not stopping before and is now. Empty otherwise (and
 * always for a saga without groups).
 */
export function branchCancellations(before: SagaState, after: SagaState): CancelAttemptEffect[] {
  const p = after.parallel;
  if (!p || p.inFlight.length === 0 || isStopping(before) || !isStopping(after)) return [];
  const reason =
    after.cancelRequested !== null
      ? `saga ${after.sagaId} was cancelled: ${after.cancelRequested}`
      : `branch ${p.failure?.step} of parallel group ${p.group} failed for good (${p.failure?.cause})`;
  return p.inFlight.map((f) => ({ type: 'CancelAttempt', phase: f.phase, step: f.step, attempt: f.attempt, reason }));
}
