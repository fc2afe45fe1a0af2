/**
 * evolve(state, event) → state, and fold. Pure and total over valid events: neither ever
 * mutates its input, and neither throws for a business outcome (a throw here is a bug or a
 * corrupt stream).
 *
 * Both run one reducer, `applyEvent`, over a private draft: the draft copies what the reducer
 * changes in place (outputs, succeeded list, compensation progress, the attempt in flight, and
 * each step the first time it is looked up) once, and replaces everything else. `fold` copies once for the whole stream, so a long stream folds
 * without allocating per event (loading a saga is a fold).
 */
import { pastCancelPoint } from './childPhase.js';
import type { SagaEvent } from './events.js';
import { applyBranchEvent, copyProgress } from './parallelGroup.js';
import { applyMigration } from './migration.js';
import type { InFlight, SagaState, StepState } from './sagaState.js';
import { SagaStatus } from './sagaState.js';
import { applySignalEvent, endWaitIfOver } from './signals.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Draft = Omit<Mutable<SagaState>, 'inFlight'> & { inFlight: Mutable<InFlight> | null };

/**
 * Finds a step of the draft by name, for the reducer to change in place: a linear scan for
 * short sagas, a map for long ones. A step is copied into the draft the first time it is
 * looked up (copy on write): most events change one step, and copying every step of every
 * draft was a tenth of an engine's CPU per saga.
 */
type StepLookup = (name: string) => StepState | undefined;

/** `owned`: the draft made the step objects itself (SagaStarted, a migration): nothing to copy. */
function lookupFor(steps: StepState[], owned: boolean): StepLookup {
  const copied: boolean[] = steps.map(() => owned);
  const byName = steps.length <= 8 ? undefined : new Map(steps.map((s, i) => [s.name, i]));
  return (name) => {
    const i = byName ? (byName.get(name) ?? -1) : steps.findIndex((s) => s.name === name);
    if (i < 0) return undefined;
    if (!copied[i]) {
      steps[i] = { ...(steps[i] as StepState) };
      copied[i] = true;
    }
    return steps[i];
  };
}

/**
 * A copy of `state` that the reducer may change in place; `state` itself is never touched.
 * Its steps are copied on first lookup (see lookupFor), not here. Built by assignment after
 * one spread: a spread followed by more properties in one literal is a slow path on Node 20.
 */
function draftOf(state: SagaState): Draft {
  const c = state.compensation;
  const d = { ...state } as Draft;
  d.steps = state.steps.slice();
  d.outputs = { ...state.outputs };
  d.succeeded = state.succeeded.slice();
  d.compensation = c ? { ...c, done: c.done.slice() } : null;
  d.inFlight = state.inFlight ? { ...state.inFlight } : null;
  if (state.parallel) d.parallel = copyProgress(state.parallel);
  return d;
}

function started(event: Extract<SagaEvent, { type: 'SagaStarted' }>): Draft {
  const d = event.data;
  return {
    sagaId: d.sagaId,
    saga: d.saga,
    version: d.version,
    input: d.input,
    idempotencyKey: d.idempotencyKey,
    status: SagaStatus.Running,
    // Field by field, not `{ ...shape, status, ... }`: on Node 20 a spread followed by new
    // properties takes a slow path (about 7 µs per object here, vs 0.07 µs).
    steps: d.steps.map((shape) => ({
      name: shape.name,
      optional: shape.optional,
      checkpoint: shape.checkpoint,
      compensable: shape.compensable,
      ...(shape.parallel === undefined ? {} : { parallel: shape.parallel }),
      status: 'pending',
      attempts: 0,
      firstStartedAt: null,
      compensationAttempts: 0,
      compensationAttemptsBeforeResume: 0,
      compensationFirstStartedAt: null,
      lastError: null,
    })),
    outputs: {},
    succeeded: [],
    inFlight: null,
    retry: null,
    compensation: null,
    cancelRequested: null,
    ...(d.deadlineAt === undefined ? {} : { deadlineAt: d.deadlineAt }),
    ...(d.parent === undefined ? {} : { parent: { ...d.parent } }),
    ...(d.children === undefined ? {} : { children: d.children.map((c) => ({ ...c })) }),
    needsAttention: false,
    failure: null,
    lastCheckpoint: null,
    rolledBackFrom: null,
    eventsSinceCheckpoint: 1,
    checkpointDue: false,
    eventCount: 1,
    startedAt: d.at,
    updatedAt: d.at,
  };
}

/** Applies one event: a parallel branch's action events to `s.parallel` (parallelGroup.ts), any other through applyEvent. */
function applyAny(s: Draft, event: SagaEvent, step: StepLookup, groups: boolean): void {
  const branch = groups && 'step' in event.data && typeof event.data.step === 'string' ? step(event.data.step) : undefined;
  if (branch?.parallel === undefined || !applyBranchEvent(s as SagaState, event, branch)) {
    applyEvent(s, event, step);
    return;
  }
  s.eventCount++;
  s.eventsSinceCheckpoint++;
  if (event.data.at > s.updatedAt) s.updatedAt = event.data.at;
}

/** Applies one event to a draft in place (the draft owns what it mutates: see draftOf). */
function applyEvent(s: Draft, event: SagaEvent, step: StepLookup): void {
  switch (event.type) {
    case 'SagaStarted':
      break; // a second start is a no-op: the first one wins
    case 'StepStarted': {
      const d = event.data;
      const st = step(d.step);
      if (st) {
        st.status = 'running';
        st.attempts = d.attempt;
        st.firstStartedAt ??= d.at;
      }
      s.inFlight = { phase: 'step', step: d.step, attempt: d.attempt, worker: d.worker, leaseUntil: d.leaseUntil };
      s.retry = null;
      break;
    }
    case 'StepSucceeded': {
      const d = event.data;
      const st = step(d.step);
      if (st) {
        st.status = 'succeeded';
        st.lastError = null;
      }
      s.outputs[d.step] = d.output;
      s.succeeded.push(d.step);
      s.inFlight = null;
      s.checkpointDue ||= st?.checkpoint === true;
      break;
    }
    case 'StepFailed': {
      const st = step(event.data.step);
      if (st) {
        st.status = 'failed';
        st.lastError = event.data.error;
      }
      s.inFlight = null;
      break;
    }
    case 'RetryScheduled': {
      const d = event.data;
      s.retry = { phase: d.phase, step: d.step, attempt: d.attempt, dueAt: d.dueAt };
      break;
    }
    case 'StepSkipped': {
      const st = step(event.data.step);
      if (st) st.status = 'skipped';
      s.retry = null;
      break;
    }
    case 'RolledBack':
      s.rolledBackFrom = event.data.step;
      break;
    case 'CompensationPlanned': {
      const d = event.data;
      const failedStep = d.failedStep === null ? undefined : step(d.failedStep);
      s.status = SagaStatus.Compensating;
      s.compensation = { cause: d.cause, failedStep: d.failedStep, plan: d.plan, done: [] };
      s.retry = null;
      if (s.parallel) s.parallel.retries = [];
      s.failure =
        d.cause === 'cancel'
          ? { step: null, kind: 'cancel', message: s.cancelRequested ?? 'cancelled', code: 'CANCELLED' }
          : {
              step: d.failedStep,
              kind: d.cause === 'partial' ? 'partial' : 'permanent',
              message: failedStep?.lastError?.message ?? d.cause,
              code: failedStep?.lastError?.code ?? d.cause.toUpperCase(),
            };
      break;
    }
    case 'CompensationStarted': {
      const d = event.data;
      const st = step(d.step);
      if (st) {
        st.status = 'compensating';
        st.compensationAttempts = d.attempt;
        st.compensationFirstStartedAt ??= d.at;
      }
      s.inFlight = { phase: 'compensation', step: d.step, attempt: d.attempt, worker: d.worker, leaseUntil: d.leaseUntil };
      s.retry = null;
      break;
    }
    case 'CompensationSucceeded': {
      const st = step(event.data.step);
      if (st) {
        st.status = 'compensated';
        st.lastError = null;
      }
      s.compensation?.done.push(event.data.step);
      s.inFlight = null;
      break;
    }
    case 'CompensationFailed': {
      const st = step(event.data.step);
      if (st) st.lastError = event.data.error;
      s.inFlight = null;
      break;
    }
    case 'CheckpointRecorded':
      s.lastCheckpoint = event.data.step ?? '#';
      s.checkpointDue = false;
      break;
    case 'SagaCompleted':
      s.status = SagaStatus.Completed;
      s.inFlight = null;
      s.retry = null;
      if (s.parallel) Object.assign(s.parallel, { inFlight: [], retries: [] });
      break;
    case 'SagaCompensated':
      s.status = SagaStatus.Compensated;
      s.inFlight = null;
      s.retry = null;
      if (s.parallel) Object.assign(s.parallel, { inFlight: [], retries: [] });
      break;
    case 'SagaFailed': {
      const d = event.data;
      const st = d.step === null ? undefined : step(d.step);
      s.status = SagaStatus.Failed;
      s.needsAttention = true;
      s.inFlight = null;
      s.retry = null;
      if (s.parallel) Object.assign(s.parallel, { inFlight: [], retries: [] });
      s.failure = { step: d.step, kind: 'parked', message: d.reason, code: d.code ?? st?.lastError?.code ?? 'PARKED' };
      break;
    }
    case 'SagaCancelRequested':
      // Only a running saga can be cancelled; later requests are recorded facts without effect,
      // and so is one past the saga's verdict or commit (childPhase.ts).
      if (s.status === SagaStatus.Running && s.cancelRequested === null && !pastCancelPoint(s)) s.cancelRequested = event.data.reason;
      break;
    case 'LeaseExtended': {
      const d = event.data;
      const f = s.inFlight;
      // Only the holder of the attempt in flight can extend it; a stale heartbeat changes nothing.
      if (f && f.phase === d.phase && f.step === d.step && f.attempt === d.attempt && f.worker === d.worker && d.leaseUntil > f.leaseUntil) {
        f.leaseUntil = d.leaseUntil;
      }
      break;
    }
    case 'SagaResumed': {
      if (s.status !== SagaStatus.Failed) break;
      const current = s.compensation ? s.compensation.plan[s.compensation.done.length] : undefined;
      s.status = s.compensation ? SagaStatus.Compensating : SagaStatus.Running;
      s.needsAttention = false;
      // A resume grants the stuck compensation a fresh retry budget.
      const st = current === undefined ? undefined : step(current);
      if (st) {
        st.status = 'compensating';
        st.compensationAttemptsBeforeResume = st.compensationAttempts;
        st.compensationFirstStartedAt = null;
      }
      if (!s.compensation) resumeInterruptedStep(s, event.data.at);
      break;
    }
    case 'SagaMigrated':
      applyMigration(s, event.data);
      break;
    case 'SignalReceived':
    case 'SignalAwaited':
    case 'SignalConsumed':
      applySignalEvent(s, event, 'step' in event.data ? step(event.data.step) : undefined);
      break;
  }
  if (s.signals?.waiting) endWaitIfOver(s, event, step);
  s.eventCount++;
  s.eventsSinceCheckpoint = event.type === 'CheckpointRecorded' ? 0 : s.eventsSinceCheckpoint + 1;
  const at = event.data.at;
  if (at > s.updatedAt) s.updatedAt = at;
}

/**
 * A running saga parked while a step was in flight (or waiting for its retry) lost that
 * attempt with the park: on resume the attempt is in doubt (no worker holds it), so the next
 * `decide` runs it again, or abandons it when its attempts are spent.
 */
function resumeInterruptedStep(s: Draft, at: number): void {
  if (s.inFlight !== null || s.retry !== null) return;
  const st = s.steps.find((x) => x.status === 'running' || x.status === 'failed');
  if (!st) return;
  if (st.status === 'running') s.inFlight = { phase: 'step', step: st.name, attempt: st.attempts, worker: '', leaseUntil: 0 };
  else s.retry = { phase: 'step', step: st.name, attempt: st.attempts + 1, dueAt: at };
}

/**
 * Applies one event. `state` is undefined before `SagaStarted`; events before it are ignored.
 * Pure: returns a new state, never mutates.
 */
export function evolve(state: SagaState | undefined, event: SagaEvent): SagaState | undefined {
  return fold([event], state);
}

/** Folds events into a state, from `initial` (a snapshot) or from nothing. Pure: `initial` is not mutated. */
export function fold(events: Iterable<SagaEvent>, initial?: SagaState): SagaState | undefined {
  let draft: Draft | undefined = initial === undefined ? undefined : draftOf(initial);
  let step: StepLookup | undefined = draft && lookupFor(draft.steps, false);
  let groups = draft?.steps.some((st) => st.parallel) ?? false;
  for (const event of events) {
    if (draft === undefined || step === undefined) {
      if (event.type !== 'SagaStarted') continue;
      draft = started(event);
      step = lookupFor(draft.steps, true);
      groups = draft.steps.some((st) => st.parallel);
      continue;
    }
    applyAny(draft, event, step, groups);
    // A migration replaces the steps: look them up afresh.
    if (event.type === 'SagaMigrated') {
      step = lookupFor(draft.steps, true);
      groups = draft.steps.some((st) => st.parallel);
    }
  }
  return draft;
}
