/**
 * decide, for a running saga whose next step is a branch of a parallel group: which branch
 * attempts to start (up to the concurrency limit), which in-doubt attempt to take over, when to
 * wait, and when a stopping group (cancelled, or a branch failed for good) begins compensating.
 * Pure; `decide` consults it before its sequential rules and uses its answer when it has one.
 */
import type { SagaCommand } from './decide.js';
import { stepIdempotencyKey } from './decide.js';
import { isStopping } from './parallelGroup.js';
import { HELD } from './parallelTransition.js';
import type { SagaModel } from './sagaModel.js';
import { stepModel } from './sagaModel.js';
import type { SagaState } from './sagaState.js';

/** The group to run or stop, or undefined when the saga's next step is sequential. */
function activeGroup(state: SagaState): string | undefined {
  const p = state.parallel;
  if (p && p.inFlight.length > 0) return p.group;
  return state.steps.find((s) => s.status !== 'succeeded' && s.status !== 'skipped')?.parallel?.group;
}

/**
 * The next command of a running saga within a parallel group, undefined when its next step is
 * sequential (then decide's own rules apply). Several attempts may be in flight: each call
 * names one command; `transition` takes every start it calls for, one after the other.
 */
export function decideGroup(model: SagaModel, state: SagaState, now: number): SagaCommand | undefined {
  if (state.parallel === undefined && !state.steps.some((s) => s.parallel)) return undefined;
  const group = activeGroup(state);
  if (group === undefined) return undefined;
  const branches = state.steps.filter((s) => s.parallel?.group === group);
  const concurrency = branches[0]?.parallel?.concurrency ?? 1;
  const p = state.parallel?.group === group ? state.parallel : undefined;
  const inFlight = p?.inFlight ?? [];
  const retries = p?.retries ?? [];
  const stopping = isStopping(state);
  // An attempt whose lease ran out is in doubt: each one is taken over on its own.
  for (const f of inFlight) {
    if (f.leaseUntil > now) continue;
    const policy = stepModel(model, f.step)?.retry;
    // A stopping group runs nothing again: the in-doubt attempt is recovered as partially applied.
    if (stopping || (policy && f.attempt >= policy.maxAttempts)) return { type: 'AbandonStep', step: f.step, attempt: f.attempt };
    return { type: 'RunStep', step: f.step, attempt: f.attempt + 1, idempotencyKey: stepIdempotencyKey(state.sagaId, f.step) };
  }
  // An attempt the runtime is performing itself (HELD) reports when it ends: no timer waits for it.
  const leases = inFlight.map((f) => f.leaseUntil).filter((t) => t < HELD);
  if (stopping) {
    // Every branch in flight reports (its signal fired) before anything is compensated.
    if (inFlight.length > 0) return leases.length > 0 ? { type: 'Wait', until: Math.min(...leases), reason: 'lease' } : { type: 'Nothing' };
    if (state.cancelRequested !== null) return { type: 'BeginCompensation', cause: 'cancel' };
    const failure = p?.failure;
    if (!failure) return { type: 'Nothing' };
    return { type: 'CompensateGroup', step: failure.step, cause: failure.cause };
  }
  if (inFlight.length < concurrency) {
    const order = (name: string) => branches.findIndex((b) => b.name === name);
    const due = retries.filter((r) => r.dueAt <= now).sort((a, b) => order(a.step) - order(b.step))[0];
    if (due) return { type: 'RunStep', step: due.step, attempt: due.attempt, idempotencyKey: stepIdempotencyKey(state.sagaId, due.step) };
    const next = branches.find((b) => b.status === 'pending');
    if (next) return { type: 'RunStep', step: next.name, attempt: next.attempts + 1, idempotencyKey: stepIdempotencyKey(state.sagaId, next.name) };
  }
  const dueAts = inFlight.length < concurrency ? retries.map((r) => r.dueAt) : [];
  if (leases.length === 0 && dueAts.length === 0) return { type: 'Nothing' };
  const until = Math.min(...leases, ...dueAts);
  return { type: 'Wait', until, reason: leases.includes(until) ? 'lease' : 'retry' };
}
