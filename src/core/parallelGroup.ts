/**
 * Parallel groups, the pure part: a group's branches are steps like any other (each with its
 * own retry budget, compensation and timeout), recorded in `SagaStarted` with the group they
 * belong to (`StepShape.parallel`). While a group runs, its attempts in flight and its pending
 * retries live in `SagaState.parallel`, never in `inFlight` / `retry`, so a saga without groups
 * folds exactly as before (no `parallel` field at all).
 *
 * The compensation order rule (docs/model.md, "Parallel groups"): the branches of a group are
 * compensated in the reverse of the order their outcomes were recorded (a success, or a partial
 * failure: a branch whose effect may be in force), then the steps before the group, in reverse.
 * Nothing about the order depends on timing the stream does not record.
 */
import type { CompensationCause, SagaEvent, StepShape } from './events.js';
import { sagaEvent } from './events.js';
import type { InFlight, PendingRetry, SagaState, StepState } from './sagaState.js';
import type { AttemptRef } from './transitionTypes.js';

/** A parallel group as one of its branches records it: the group's name and its concurrency limit. */
export type ParallelShape = NonNullable<StepShape['parallel']>;

/** Where the latest parallel group to start is: attempts in flight, retries, the order outcomes were recorded. */
export interface ParallelProgress {
  /** The group's name. */
  group: string;
  /** Its branches' attempts in flight (several at once, up to the concurrency limit). */
  inFlight: InFlight[];
  /** Its branches' retries scheduled after transient failures. */
  retries: PendingRetry[];
  /** Branches whose effect may be in force, in the order their outcome was recorded: succeeded, or failed partially. */
  applied: string[];
  /** The first branch that failed for good (stopping the group: its siblings are cancelled), and why; null while none did. */
  failure: {
    /** The branch. */
    step: string;
    /** Why the saga compensates. */
    cause: CompensationCause;
  } | null;
}

/** The group a step of the state belongs to, undefined for a sequential step. */
export function groupOf(state: SagaState, step: string): ParallelShape | undefined {
  return state.steps.find((s) => s.name === step)?.parallel;
}

/** Every attempt in flight: the sequential one and the branches'. Pure. */
export function attemptsInFlight(state: SagaState): InFlight[] {
  const branches = state.parallel?.inFlight ?? [];
  return state.inFlight ? [state.inFlight, ...branches] : branches;
}

/** The attempt in flight that `ref` names (any worker's), undefined when none is. Pure. */
export function findInFlight(state: SagaState, ref: AttemptRef): InFlight | undefined {
  return attemptsInFlight(state).find((f) => f.phase === ref.phase && f.step === ref.step && f.attempt === ref.attempt);
}

/**
 * The group is stopping: the saga was cancelled, or a branch failed for good. No branch starts
 * any more; compensation is planned once no branch is in flight.
 */
export function isStopping(state: SagaState): boolean {
  return state.cancelRequested !== null || (state.parallel?.failure ?? null) !== null;
}

/**
 * The steps whose effect may be in force, in the order their outcome was recorded: the
 * succeeded steps, with the partially failed branches of a failed group at their place.
 * Compensations run in the reverse of this order. Pure.
 */
export function appliedOrder(state: SagaState): string[] {
  const p = state.parallel;
  if (!p || p.applied.every((name) => state.succeeded.includes(name))) return state.succeeded;
  // A group with a partially failed branch never completed: nothing after it ran.
  const inGroup = new Set(p.applied);
  return [...state.succeeded.filter((name) => !inGroup.has(name)), ...p.applied];
}

/** The cause a branch's failure for good gives the compensation, as for a sequential step. */
export function causeOf(kind: 'transient' | 'permanent' | 'partial', compensable: boolean): CompensationCause {
  if (kind === 'partial' && compensable) return 'partial';
  return kind === 'transient' ? 'exhausted' : 'permanent';
}

function progressFor(s: SagaState & { parallel?: ParallelProgress }, group: string): ParallelProgress {
  if (s.parallel?.group !== group) s.parallel = { group, inFlight: [], retries: [], applied: [], failure: null };
  return s.parallel;
}

const BRANCH_EVENT_TYPES: ReadonlySet<string> = new Set(['StepStarted', 'StepSucceeded', 'StepFailed', 'RetryScheduled', 'StepSkipped', 'LeaseExtended']);

/**
 * Folds an event of a branch's action into a draft the caller owns (see evolve's draftOf);
 * false when the event is not one (a sequential step's, a compensation's, the saga's), for
 * the sequential reducer. Mutates `s` in place: only evolve calls it, on its own copy.
 */
export function applyBranchEvent(s: SagaState, event: SagaEvent, st: StepState | undefined): boolean {
  if (!st?.parallel || !BRANCH_EVENT_TYPES.has(event.type)) return false;
  if ((event.type === 'RetryScheduled' || event.type === 'LeaseExtended') && event.data.phase !== 'step') return false;
  const p = progressFor(s, st.parallel.group);
  const name = st.name;
  const others = <T extends { step: string }>(list: T[]) => list.filter((x) => x.step !== name);
  switch (event.type) {
    case 'StepStarted': {
      const d = event.data;
      st.status = 'running';
      st.attempts = d.attempt;
      st.firstStartedAt ??= d.at;
      p.inFlight = [...others(p.inFlight), { phase: 'step', step: name, attempt: d.attempt, worker: d.worker, leaseUntil: d.leaseUntil }];
      p.retries = others(p.retries);
      break;
    }
    case 'StepSucceeded':
      st.status = 'succeeded';
      st.lastError = null;
      s.outputs[name] = event.data.output;
      s.succeeded.push(name);
      p.applied = [...p.applied, name];
      p.inFlight = others(p.inFlight);
      s.checkpointDue ||= st.checkpoint;
      break;
    case 'StepFailed': {
      const d = event.data;
      st.status = 'failed';
      st.lastError = d.error;
      p.inFlight = others(p.inFlight);
      if (d.kind === 'partial') p.applied = [...p.applied, name];
      // What recover records after the failure follows from the failure and the shape alone:
      // a retry (transient, not exhausted), a skip (optional, not partial), or the group stops.
      const retried = d.kind === 'transient' && !d.exhausted;
      const skipped = st.optional && d.kind !== 'partial';
      if (!retried && !skipped) p.failure ??= { step: name, cause: causeOf(d.kind, st.compensable) };
      break;
    }
    case 'RetryScheduled': {
      const d = event.data;
      p.retries = [...others(p.retries), { phase: 'step', step: name, attempt: d.attempt, dueAt: d.dueAt }];
      break;
    }
    case 'StepSkipped':
      st.status = 'skipped';
      p.retries = others(p.retries);
      break;
    case 'LeaseExtended': {
      const d = event.data;
      p.inFlight = p.inFlight.map((f) =>
        f.step === name && f.attempt === d.attempt && f.worker === d.worker && d.leaseUntil > f.leaseUntil ? { ...f, leaseUntil: d.leaseUntil } : f,
      );
      break;
    }
  }
  return true;
}

/** A copy of the progress the reducer may change in place. */
export function copyProgress(p: ParallelProgress): ParallelProgress {
  return { ...p, inFlight: [...p.inFlight], retries: [...p.retries], applied: [...p.applied] };
}

/** The events that begin compensating a group that stopped after `step` failed for good. Pure. */
export function groupCompensation(state: SagaState, step: string, cause: CompensationCause, plan: string[], now: number): SagaEvent[] {
  const planned = sagaEvent('CompensationPlanned', { cause, failedStep: step, plan, at: now });
  // As for a sequential step: a partially applied step is compensated, any other rolled back first.
  return cause === 'partial' ? [planned] : [sagaEvent('RolledBack', { step, toCheckpoint: state.lastCheckpoint, at: now }), planned];
}
