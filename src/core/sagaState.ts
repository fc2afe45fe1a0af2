/**
 * The folded state of one saga. Never stored as the truth: always `fold(events)`. It is plain
 * JSON so a checkpoint can snapshot it verbatim.
 */
import type { ChildLink, CompensationCause, ErrorInfo, FailureKind, ParentLink, Phase, StepShape } from './events.js';
import type { ParallelProgress } from './parallelGroup.js';
import type { SignalBook } from './signalTypes.js';

/** Where a saga is in its life. `completed`, `compensated` and `failed` are terminal. */
export const SagaStatus = {
  /** Running its steps forward. */
  Running: 'running',
  /** Running the compensations of its plan. */
  Compensating: 'compensating',
  /** Every step succeeded or was skipped. */
  Completed: 'completed',
  /** Every planned compensation succeeded. */
  Compensated: 'compensated',
  /** Parked: a compensation could not be completed; an operator must look (`needsAttention`). */
  Failed: 'failed',
} as const;
/** One of the {@link SagaStatus} values. */
export type SagaStatus = (typeof SagaStatus)[keyof typeof SagaStatus];

/**
 * Where a step is: `pending` (not started), `running` (an attempt in flight or a retry due),
 * `succeeded`, `failed`, `skipped` (optional, failed permanently), `compensating`, `compensated`.
 */
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'compensating' | 'compensated';

/** One step of a saga's folded state: its shape plus what happened to it. */
export interface StepState extends StepShape {
  /** Where the step is. */
  status: StepStatus;
  /** Attempts of the action started so far (an in-doubt attempt counts). */
  attempts: number;
  /** When the action's first attempt started, in ms since the epoch; null before it. */
  firstStartedAt: number | null;
  /** Attempts of the compensation started so far, numbered on across resumes. */
  compensationAttempts: number;
  /** Compensation attempts made before the last operator resume: the policy counts only those after. */
  compensationAttemptsBeforeResume: number;
  /** When the compensation's first attempt (since the last resume) started, in ms since the epoch; null before it. */
  compensationFirstStartedAt: number | null;
  /** The error of the last failed attempt (action or compensation), null after a success. */
  lastError: ErrorInfo | null;
}

/** The one effect a sequential saga may have in flight, with its lease. */
export interface InFlight {
  /** Whether the attempt runs the step's action or its compensation. */
  phase: Phase;
  /** The step's name. */
  step: string;
  /** The attempt's number, 1 for the first. */
  attempt: number;
  /** The worker that started it (`EngineOptions.workerId`). */
  worker: string;
  /** Until when the attempt is the worker's, in ms since the epoch; after that it is in doubt and may be taken over. */
  leaseUntil: number;
}

/** The next attempt of a step or compensation, scheduled after a transient failure. */
export interface PendingRetry {
  /** Whether the retry runs the step's action or its compensation. */
  phase: Phase;
  /** The step's name. */
  step: string;
  /** The number the attempt will have. */
  attempt: number;
  /** When it may run, in ms since the epoch. */
  dueAt: number;
}

/** A compensation under way: why, and how far it got. */
export interface CompensationProgress {
  /** Why the saga compensates. */
  cause: CompensationCause;
  /** The step whose failure caused it, null for a cancellation. */
  failedStep: string | null;
  /** Steps to compensate, in the order they must run (reverse of completion). */
  plan: string[];
  /** Steps compensated so far, in the order they were; always a prefix of `plan`. */
  done: string[];
}

/** Why a saga did not complete: what `result()` reports for a compensated or parked saga. */
export interface SagaFailure {
  /** The step that failed, null for a cancellation or a cause that is not one step's. */
  step: string | null;
  /** The failure's classification; `cancel` for a cancellation, `parked` once the saga is parked. */
  kind: FailureKind | 'cancel' | 'parked';
  /** The error's message (or the cancellation's reason, or why the saga was parked). */
  message: string;
  /** The error's code (see {@link ErrorInfo}); `CANCELLED` for a cancellation; without a known error, the cause upper-cased or `PARKED`. */
  code: string;
}

/**
 * Everything known about one saga: the fold of its events (`fold(events)`), never stored as
 * the truth. Plain JSON, so that a checkpoint snapshots it verbatim. Times are in ms since
 * the epoch, from the runtime's clock.
 */
export interface SagaState {
  /** The saga's id; its stream is `saga-<sagaId>`. */
  sagaId: string;
  /** The definition's name. */
  saga: string;
  /** The definition's version the saga started with, and runs with to the end. */
  version: number;
  /** The input given to `start`, as validated. */
  input: unknown;
  /** The idempotency key given to `start`, null without one. */
  idempotencyKey: string | null;
  /** Where the saga is in its life. */
  status: SagaStatus;
  /** Its steps, in definition order. */
  steps: StepState[];
  /** Outputs of succeeded steps by step name. */
  outputs: Record<string, unknown>;
  /** Succeeded steps in the order they succeeded. */
  succeeded: string[];
  /** The attempt in flight, null when none is. */
  inFlight: InFlight | null;
  /** The retry scheduled, null when none is. */
  retry: PendingRetry | null;
  /**
   * The latest parallel group to start: its attempts in flight, its retries, the order its
   * outcomes were recorded (see parallelGroup.ts). Absent until a group starts, so a saga
   * without groups (and every snapshot from before them) has no such field.
   */
  parallel?: ParallelProgress;
  /** The compensation under way or done, null when the saga never compensated. */
  compensation: CompensationProgress | null;
  /** The reason given to `cancel` while the saga was running, null when not cancelled. */
  cancelRequested: string | null;
  /**
   * When the saga must have ended (ms since the epoch), from `SagaStarted`; past it a running
   * saga is cancelled. Absent (or undefined, in snapshots from before deadlines): none.
   */
  deadlineAt?: number;
  /** The parent that started this saga as a child (`SagaStarted.parent`); absent for a standalone saga. */
  parent?: ParentLink;
  /** The children its `.child` steps start (`SagaStarted.children`); absent when it has no child step. */
  children?: ChildLink[];
  /** Signals received, kept, consumed, and the wait under way (`.waitFor` steps); absent before the first signal event. */
  signals?: SignalBook;
  /** Parked: an operator must look, then resume it. */
  needsAttention: boolean;
  /** Why the saga did not complete, null while nothing failed for good. */
  failure: SagaFailure | null;
  /** Name of the last step whose checkpoint was recorded ('#' for a periodic one), null before any. */
  lastCheckpoint: string | null;
  /** The step a permanent failure rolled back from, null if none. */
  rolledBackFrom: string | null;
  /** Events folded since the last checkpoint (or the start). */
  eventsSinceCheckpoint: number;
  /** A step with `checkpoint: true` succeeded and its checkpoint is not recorded yet. */
  checkpointDue: boolean;
  /** Events folded into this state. */
  eventCount: number;
  /** When it started (`SagaStarted.at`), in ms since the epoch. */
  startedAt: number;
  /** The latest `at` of its events, in ms since the epoch. */
  updatedAt: number;
}

/** The statuses after which nothing happens without an operator: completed, compensated, failed. */
export const TERMINAL_STATUSES: ReadonlySet<SagaStatus> = new Set([SagaStatus.Completed, SagaStatus.Compensated, SagaStatus.Failed]);

/** Completed, compensated or parked: nothing more happens without an operator. */
export function isTerminal(state: SagaState): boolean {
  return TERMINAL_STATUSES.has(state.status);
}

/** The step named `name` in the state, undefined when the saga has none. */
export function findStep(state: SagaState, name: string): StepState | undefined {
  return state.steps.find((s) => s.name === name);
}
