/**
 * What `transition(model, state, input, ctx)` consumes and produces: inputs (what happened to
 * the saga), effects (what the runtime must do next) and the context it injects (the worker,
 * the lease, the jitter draw). Plain data, so that a runtime, a test and the model checker can
 * all drive the same pure function.
 */
import type { ErrorInfo, FailureKind, Phase, SagaEvent } from './events.js';

/** Which attempt an outcome (or a fence) is about. */
export interface AttemptRef {
  /** The action (`step`) or its compensation. */
  phase: Phase;
  /** The step's name. */
  step: string;
  /** The attempt's number, from 1. */
  attempt: number;
}

/** Time passed (a timer fired, the saga was loaded, a worker looked at it): do what is due. */
export interface TickInput {
  /** Discriminant. */
  type: 'Tick';
  /** The runtime's time, ms since the epoch. */
  now: number;
}

/** The attempt returned: `output` is what it returned, validated and as stored (JSON). */
export interface AttemptSucceededInput extends AttemptRef {
  /** Discriminant. */
  type: 'AttemptSucceeded';
  /** The output (null for a compensation). */
  output: unknown;
  /** How long the attempt itself ran, in ms. */
  durationMs: number;
  /** The runtime's time, ms since the epoch. */
  now: number;
}

/** The attempt threw; `kind` is the classification of the error (step, saga, default classifier). */
export interface AttemptFailedInput extends AttemptRef {
  /** Discriminant. */
  type: 'AttemptFailed';
  /** transient, permanent or partial. */
  kind: FailureKind;
  /** What the event keeps of the error. */
  error: ErrorInfo;
  /** How long the attempt itself ran, in ms. */
  durationMs: number;
  /** The runtime's time, ms since the epoch. */
  now: number;
}

/**
 * The attempt ran past its `timeoutMs`: recovered as a transient failure (StepTimeoutError).
 * A runtime whose classifiers may give a timeout another kind sends AttemptFailed instead.
 */
export interface AttemptTimedOutInput extends AttemptRef {
  /** Discriminant. */
  type: 'AttemptTimedOut';
  /** The step's timeout that ran out, in ms. */
  timeoutMs: number;
  /** How long the attempt ran, in ms. */
  durationMs: number;
  /** The runtime's time, ms since the epoch. */
  now: number;
}

/**
 * The runtime learned the attempt is no longer its own (its append lost a race, or another
 * worker took the attempt over after its lease): nothing of it is recorded; what is due then
 * is answered as for a Tick.
 */
export interface FencedInput extends AttemptRef {
  /** Discriminant. */
  type: 'Fenced';
  /** The runtime's time, ms since the epoch. */
  now: number;
}

/** Someone asked to cancel: a running saga compensates what it did. */
export interface CancelRequestedInput {
  /** Discriminant. */
  type: 'CancelRequested';
  /** Why, for the audit trail. */
  reason: string;
  /** The runtime's time, ms since the epoch. */
  now: number;
}

/**
 * A named signal from outside (`engine.signal`): recorded as SignalReceived unless its id was
 * received already (it is applied once), then the saga settles (a waiting step consumes it).
 * A signal nothing will consume (the saga is not running, or no step left waits for its name)
 * answers nothing; the engine refuses it before.
 */
export interface SignalInput {
  /** Discriminant. */
  type: 'Signal';
  /** Its id: a signal with an id already received changes nothing. */
  signalId: string;
  /** The signal's name. */
  name: string;
  /** Its payload, as sent. */
  payload: unknown;
  /** The runtime's time, ms since the epoch. */
  now: number;
}

/** Something that happened to a saga, at the runtime's time `now`. */
export type TransitionInput = TickInput | AttemptSucceededInput | AttemptFailedInput | AttemptTimedOutInput | FencedInput | CancelRequestedInput | SignalInput;

/** Perform one attempt of a step's action or compensation; its StepStarted/CompensationStarted is among the events. */
export interface PerformAttemptEffect extends AttemptRef {
  /** Discriminant. */
  type: 'PerformAttempt';
  /** The key participants deduplicate the attempt's effect by (the same for every attempt of a step). */
  idempotencyKey: string;
  /** Until when (ms since the epoch) the attempt is this worker's before others may take it over. */
  leaseUntil: number;
}

/** Feed a Tick at `at`: a retry is due then, or another worker's lease runs out then. */
export interface SetTimerEffect {
  /** Discriminant. */
  type: 'SetTimer';
  /** When, in ms since the epoch. */
  at: number;
  /** What is due then: a retry, the end of another worker's lease, the saga's deadline, or a signal wait's timeout. */
  reason: 'retry' | 'lease' | 'deadline' | 'signal';
}

/**
 * Fire the signal of an attempt this worker performs (a branch of a parallel group that
 * stopped): the attempt runs on to its outcome, which is recorded (a failure then counts as
 * partial: what it did is in doubt). A runtime that does not perform the attempt ignores it.
 */
export interface CancelAttemptEffect extends AttemptRef {
  /** Discriminant. */
  type: 'CancelAttempt';
  /** Why, for the step's `signal.reason`. */
  reason: string;
}

/** What the runtime must do after appending a transition's events. */
export type Effect = PerformAttemptEffect | SetTimerEffect | CancelAttemptEffect;

/**
 * The answer to one input: the events to append, in one append at the expected revision, and
 * then the effects to perform. A sequential saga has at most one PerformAttempt at a time; the
 * list leaves room for several (parallel steps).
 */
export interface Transition {
  /** Appended first, in one append at the expected revision. */
  events: SagaEvent[];
  /** Performed once the events are durable. */
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
  /**
   * What the store's liveness records (`store.workerLiveness`) say of other workers, by worker
   * id: until when each is known alive, or 0 for one known dead (its process is gone, or it
   * released its record). An attempt in flight of a worker named here is that worker's for as
   * long as the worker lives: a record alive past the attempt's own `leaseUntil` extends it (no
   * LeaseExtended renews it), and a known death ends it at once, so a survivor takes the attempt
   * over before its lease runs out. An expired record shortens nothing. Entries for this worker
   * are ignored (its own attempts that it does not run, after a restart with the same id, wait
   * out their lease).
   */
  workerAliveUntil?: ReadonlyMap<string, number>;
  /**
   * The attempts this runtime is performing right now, as `<phase>/<step>/<attempt>` keys: a
   * parallel group's other branches are still running when one branch's outcome is fed back,
   * and the runtime never takes over an attempt it is itself performing, whatever its lease
   * says. Absent: none (a sequential saga's one attempt is never running when an input is fed).
   */
  performing?: ReadonlySet<string>;
  /** A checkpoint's snapshot is left out when the state's JSON is this large or larger. @default 512 KiB */
  maxSnapshotBytes?: number;
}
