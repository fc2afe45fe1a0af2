/**
 * What `transition(model, state, input, ctx)` consumes and produces: inputs (what happened to
 * the saga), effects (what the runtime must do next) and the context it injects (the worker,
 * the lease, the jitter draw). Plain data, so that a runtime, a test and the model checker can
 * all drive the same pure function.
 */
import type { ErrorInfo, FailureKind, Phase, SagaEvent } from './events.js';

/** Which attempt an outcome (or a fence) is about. */
export interface AttemptRef {
  phase: Phase;
  step: string;
  attempt: number;
}

/** Something that happened to a saga, at the runtime's time `now`. */
export type TransitionInput =
  /** Time passed (a timer fired, the saga was loaded, a worker looked at it): do what is due. */
  | { type: 'Tick'; now: number }
  | (AttemptRef & { type: 'AttemptSucceeded'; output: unknown; durationMs: number; now: number })
  /** The attempt threw; `kind` is the classification of the error (step, saga, default classifier). */
  | (AttemptRef & { type: 'AttemptFailed'; kind: FailureKind; error: ErrorInfo; durationMs: number; now: number })
  /**
   * The attempt ran past its `timeoutMs`: recovered as a transient failure (StepTimeoutError).
   * A runtime whose classifiers may give a timeout another kind sends AttemptFailed instead.
   */
  | (AttemptRef & { type: 'AttemptTimedOut'; timeoutMs: number; durationMs: number; now: number })
  /**
   * The runtime learned the attempt is no longer its own (its append lost a race, or another
   * worker took the attempt over after its lease): nothing of it is recorded; what is due
   * then is answered as for a Tick.
   */
  | (AttemptRef & { type: 'Fenced'; now: number })
  /** Someone asked to cancel: a running saga compensates what it did. */
  | { type: 'CancelRequested'; reason: string; now: number }
  /**
   * A named signal from outside. Representable now, but no step waits for one yet (waiting
   * steps are the next issue), so a signal answers with no events and no effects.
   */
  | { type: 'Signal'; name: string; payload: unknown; now: number };

/** What the runtime must do after appending a transition's events. */
export type Effect =
  /** Perform one attempt of a step's action or compensation; its StepStarted/CompensationStarted is among the events. */
  | (AttemptRef & { type: 'PerformAttempt'; idempotencyKey: string; leaseUntil: number })
  /** Feed a Tick at `at`: a retry is due then, or another worker's lease runs out then. */
  | { type: 'SetTimer'; at: number; reason: 'retry' | 'lease' };

/**
 * The answer to one input: the events to append, in one append at the expected revision, and
 * then the effects to perform. A sequential saga has at most one PerformAttempt at a time; the
 * list leaves room for several (parallel steps).
 */
export interface Transition {
  events: SagaEvent[];
  effects: Effect[];
}

/** What the runtime injects: core reads no clock and draws no random number of its own. */
export interface TransitionContext {
  /** The worker that will perform the effects: recorded in StepStarted, and an outcome must be its own. */
  workerId: string;
  /** How long an attempt this worker starts is its own before others may take it over (ms). */
  leaseMs: number;
  /**
   * The jitter draw in [0, 1): one number for the whole transition, or a source called once
   * for each recovery the transition computes.
   */
  random: number | (() => number);
  /** The engine is shutting down: record the input's own facts, but start nothing new. */
  draining?: boolean;
  /** A checkpoint's snapshot is left out when the state's JSON is this large or larger. @default 512 KiB */
  maxSnapshotBytes?: number;
}
