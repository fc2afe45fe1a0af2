/**
 * The folded state of one saga. Never stored as the truth: always `fold(events)`. It is plain
 * JSON so a checkpoint can snapshot it verbatim.
 */
import type { CompensationCause, ErrorInfo, FailureKind, Phase, StepShape } from './events.js';

export const SagaStatus = {
  Running: 'running',
  Compensating: 'compensating',
  Completed: 'completed',
  Compensated: 'compensated',
  /** Parked: a compensation could not be completed; an operator must look (`needsAttention`). */
  Failed: 'failed',
} as const;
export type SagaStatus = (typeof SagaStatus)[keyof typeof SagaStatus];

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'compensating' | 'compensated';

export interface StepState extends StepShape {
  status: StepStatus;
  /** Attempts of the action started so far (an in-doubt attempt counts). */
  attempts: number;
  firstStartedAt: number | null;
  /** Attempts of the compensation started so far, numbered on across resumes. */
  compensationAttempts: number;
  /** Compensation attempts made before the last operator resume: the policy counts only those after. */
  compensationAttemptsBeforeResume: number;
  compensationFirstStartedAt: number | null;
  lastError: ErrorInfo | null;
}

/** The one effect a sequential saga may have in flight, with its lease. */
export interface InFlight {
  phase: Phase;
  step: string;
  attempt: number;
  worker: string;
  leaseUntil: number;
}

export interface PendingRetry {
  phase: Phase;
  step: string;
  attempt: number;
  dueAt: number;
}

export interface CompensationProgress {
  cause: CompensationCause;
  failedStep: string | null;
  /** Steps to compensate, in the order they must run (reverse of completion). */
  plan: string[];
  /** Steps compensated so far, in the order they were; always a prefix of `plan`. */
  done: string[];
}

export interface SagaFailure {
  step: string | null;
  kind: FailureKind | 'cancel' | 'parked';
  message: string;
  code: string;
}

export interface SagaState {
  sagaId: string;
  saga: string;
  version: number;
  input: unknown;
  idempotencyKey: string | null;
  status: SagaStatus;
  steps: StepState[];
  /** Outputs of succeeded steps by step name. */
  outputs: Record<string, unknown>;
  /** Succeeded steps in the order they succeeded. */
  succeeded: string[];
  inFlight: InFlight | null;
  retry: PendingRetry | null;
  compensation: CompensationProgress | null;
  cancelRequested: string | null;
  needsAttention: boolean;
  failure: SagaFailure | null;
  /** Name of the last step whose checkpoint was recorded ('#' for a periodic one), null before any. */
  lastCheckpoint: string | null;
  /** The step a permanent failure rolled back from, null if none. */
  rolledBackFrom: string | null;
  eventsSinceCheckpoint: number;
  checkpointDue: boolean;
  /** Events folded into this state. */
  eventCount: number;
  startedAt: number;
  updatedAt: number;
}

export const TERMINAL_STATUSES: ReadonlySet<SagaStatus> = new Set([SagaStatus.Completed, SagaStatus.Compensated, SagaStatus.Failed]);

/** Completed, compensated or parked: nothing more happens without an operator. */
export function isTerminal(state: SagaState): boolean {
  return TERMINAL_STATUSES.has(state.status);
}

export function findStep(state: SagaState, name: string): StepState | undefined {
  return state.steps.find((s) => s.name === name);
}
