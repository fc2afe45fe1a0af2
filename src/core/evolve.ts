/**
 * evolve(state, event) → state, and fold. Pure and total over valid events: it never mutates
 * its input and never throws for a business outcome (a throw here is a bug or a corrupt stream).
 */
import type { SagaEvent } from './events.js';
import type { SagaState, StepState } from './sagaState.js';
import { SagaStatus } from './sagaState.js';

function updateStep(state: SagaState, name: string, change: (step: StepState) => StepState): StepState[] {
  return state.steps.map((s) => (s.name === name ? change(s) : s));
}

function started(event: Extract<SagaEvent, { type: 'SagaStarted' }>): SagaState {
  const d = event.data;
  return {
    sagaId: d.sagaId,
    saga: d.saga,
    version: d.version,
    input: d.input,
    idempotencyKey: d.idempotencyKey,
    status: SagaStatus.Running,
    steps: d.steps.map((shape) => ({
      ...shape,
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

function apply(s: SagaState, event: SagaEvent): SagaState {
  switch (event.type) {
    case 'SagaStarted':
      return s; // a second start is a no-op: the first one wins
    case 'StepStarted': {
      const d = event.data;
      return {
        ...s,
        steps: updateStep(s, d.step, (st) => ({ ...st, status: 'running', attempts: d.attempt, firstStartedAt: st.firstStartedAt ?? d.at })),
        inFlight: { phase: 'step', step: d.step, attempt: d.attempt, worker: d.worker, leaseUntil: d.leaseUntil },
        retry: null,
      };
    }
    case 'StepSucceeded': {
      const d = event.data;
      const shape = s.steps.find((st) => st.name === d.step);
      return {
        ...s,
        steps: updateStep(s, d.step, (st) => ({ ...st, status: 'succeeded', lastError: null })),
        outputs: { ...s.outputs, [d.step]: d.output },
        succeeded: [...s.succeeded, d.step],
        inFlight: null,
        checkpointDue: s.checkpointDue || shape?.checkpoint === true,
      };
    }
    case 'StepFailed': {
      const d = event.data;
      return { ...s, steps: updateStep(s, d.step, (st) => ({ ...st, status: 'failed', lastError: d.error })), inFlight: null };
    }
    case 'RetryScheduled': {
      const d = event.data;
      return { ...s, retry: { phase: d.phase, step: d.step, attempt: d.attempt, dueAt: d.dueAt } };
    }
    case 'StepSkipped':
      return { ...s, steps: updateStep(s, event.data.step, (st) => ({ ...st, status: 'skipped' })), retry: null };
    case 'RolledBack':
      return { ...s, rolledBackFrom: event.data.step };
    case 'CompensationPlanned': {
      const d = event.data;
      const failedStep = d.failedStep === null ? undefined : s.steps.find((st) => st.name === d.failedStep);
      return {
        ...s,
        status: SagaStatus.Compensating,
        compensation: { cause: d.cause, failedStep: d.failedStep, plan: d.plan, done: [] },
        retry: null,
        failure:
          d.cause === 'cancel'
            ? { step: null, kind: 'cancel', message: s.cancelRequested ?? 'cancelled', code: 'CANCELLED' }
            : {
                step: d.failedStep,
                kind: d.cause === 'partial' ? 'partial' : 'permanent',
                message: failedStep?.lastError?.message ?? d.cause,
                code: failedStep?.lastError?.code ?? d.cause.toUpperCase(),
              },
      };
    }
    case 'CompensationStarted': {
      const d = event.data;
      return {
        ...s,
        steps: updateStep(s, d.step, (st) => ({
          ...st,
          status: 'compensating',
          compensationAttempts: d.attempt,
          compensationFirstStartedAt: st.compensationFirstStartedAt ?? d.at,
        })),
        inFlight: { phase: 'compensation', step: d.step, attempt: d.attempt, worker: d.worker, leaseUntil: d.leaseUntil },
        retry: null,
      };
    }
    case 'CompensationSucceeded': {
      const d = event.data;
      const progress = s.compensation;
      return {
        ...s,
        steps: updateStep(s, d.step, (st) => ({ ...st, status: 'compensated', lastError: null })),
        compensation: progress ? { ...progress, done: [...progress.done, d.step] } : progress,
        inFlight: null,
      };
    }
    case 'CompensationFailed': {
      const d = event.data;
      return { ...s, steps: updateStep(s, d.step, (st) => ({ ...st, lastError: d.error })), inFlight: null };
    }
    case 'CheckpointRecorded':
      return { ...s, lastCheckpoint: event.data.step ?? '#', eventsSinceCheckpoint: 0, checkpointDue: false };
    case 'SagaCompleted':
      return { ...s, status: SagaStatus.Completed, inFlight: null, retry: null };
    case 'SagaCompensated':
      return { ...s, status: SagaStatus.Compensated, inFlight: null, retry: null };
    case 'SagaFailed': {
      const d = event.data;
      const step = d.step === null ? undefined : s.steps.find((st) => st.name === d.step);
      return {
        ...s,
        status: SagaStatus.Failed,
        needsAttention: true,
        inFlight: null,
        retry: null,
        failure: { step: d.step, kind: 'parked', message: d.reason, code: d.code ?? step?.lastError?.code ?? 'PARKED' },
      };
    }
    case 'SagaCancelRequested':
      // Only a running saga can be cancelled; later requests are recorded facts without effect.
      return s.status === SagaStatus.Running && s.cancelRequested === null ? { ...s, cancelRequested: event.data.reason } : s;
    case 'LeaseExtended': {
      const d = event.data;
      const f = s.inFlight;
      // Only the holder of the attempt in flight can extend it; a stale heartbeat changes nothing.
      if (!f || f.phase !== d.phase || f.step !== d.step || f.attempt !== d.attempt || f.worker !== d.worker) return s;
      return { ...s, inFlight: { ...f, leaseUntil: Math.max(f.leaseUntil, d.leaseUntil) } };
    }
    case 'SagaResumed': {
      if (s.status !== SagaStatus.Failed) return s;
      const current = s.compensation ? s.compensation.plan[s.compensation.done.length] : undefined;
      return {
        ...s,
        status: s.compensation ? SagaStatus.Compensating : SagaStatus.Running,
        needsAttention: false,
        // A resume grants the stuck compensation a fresh retry budget.
        steps: current
          ? updateStep(s, current, (st) => ({ ...st, status: 'compensating', compensationAttemptsBeforeResume: st.compensationAttempts, compensationFirstStartedAt: null }))
          : s.steps,
      };
    }
  }
}

/**
 * Applies one event. `state` is undefined before `SagaStarted`; events before it are ignored.
 * Pure: returns a new state, never mutates.
 */
export function evolve(state: SagaState | undefined, event: SagaEvent): SagaState | undefined {
  if (state === undefined) return event.type === 'SagaStarted' ? started(event) : undefined;
  const next = apply(state, event);
  const at = (event.data as { at: number }).at;
  return {
    ...next,
    eventCount: state.eventCount + 1,
    eventsSinceCheckpoint: event.type === 'CheckpointRecorded' ? 0 : next.eventsSinceCheckpoint + 1,
    updatedAt: Math.max(state.updatedAt, at),
  };
}

/** Folds events into a state, from `initial` (a snapshot) or from nothing. Pure. */
export function fold(events: Iterable<SagaEvent>, initial?: SagaState): SagaState | undefined {
  let state = initial;
  for (const event of events) state = evolve(state, event);
  return state;
}
