/**
 * The data of durable signals (see signals.ts): what the model, the folded state and `decide`
 * say about waiting steps. Plain JSON, so a checkpoint snapshots the signal book verbatim.
 */
import type { FailureKind, SagaEventOf } from './events.js';
import type { SagaState } from './sagaState.js';

/** What core knows of a waiting step: the signal's name, the wait's timeout and how a timeout is classified. */
export interface SignalWaitModel {
  /** The name of the signal the step waits for (`engine.signal(sagaId, name, …)`). */
  name: string;
  /** How long one wait lasts, in ms from when the saga reaches the step. */
  timeoutMs: number;
  /** How a timeout is recovered: the step's, then the saga's classifier of a SignalTimeoutError, else permanent. */
  timeoutKind: FailureKind;
}

/** A signal received and not consumed yet. */
export interface ReceivedSignal {
  /** Its id: a second signal with this id is the same signal, and changes nothing. */
  signalId: string;
  /** Its name. */
  name: string;
  /** Its payload, as validated by the waiting step's schema (JSON). */
  payload: unknown;
  /** When it was received, ms since the epoch. */
  at: number;
}

/** The wait under way: a step waiting for a signal until a deadline. */
export interface SignalWait {
  /** The waiting step. */
  step: string;
  /** The wait's number, 1 for the first (a transient timeout waits again as the next attempt). */
  attempt: number;
  /** The name of the signal awaited. */
  signal: string;
  /** When the wait times out, ms since the epoch. */
  until: number;
}

/** The signals of one saga, in its folded state. */
export interface SignalBook {
  /** The id of every signal received, in arrival order, each once. */
  received: string[];
  /** Signals received and not consumed yet, oldest first. */
  inbox: ReceivedSignal[];
  /** The signal each waiting step consumed, by step name. */
  consumed: Record<string, string>;
  /** The wait under way, null when the saga waits for no signal. */
  waiting: SignalWait | null;
}

/** The commands `decide` gives for waiting steps (see {@link SagaCommand}). */
export type SignalCommand =
  /** The saga reached a waiting step: record the wait (SignalAwaited) with its deadline. */
  | {
      /** Discriminant. */
      type: 'AwaitSignal';
      /** The waiting step. */
      step: string;
      /** The wait's number. */
      attempt: number;
      /** The signal's name. */
      signal: string;
      /** The deadline, ms since the epoch. */
      until: number;
    }
  /** A kept signal matches the wait: consume it; the step succeeds with its payload. */
  | {
      /** Discriminant. */
      type: 'ConsumeSignal';
      /** The waiting step. */
      step: string;
      /** The wait's number. */
      attempt: number;
      /** The signal consumed. */
      signal: ReceivedSignal;
    }
  /** The wait is past its deadline: record the step's failure and recover as classified. */
  | {
      /** Discriminant. */
      type: 'TimeOutSignal';
      /** The waiting step. */
      step: string;
      /** The wait's number. */
      attempt: number;
    };

/** The facts a signal adds to a saga: `input` as received. */
export interface SignalArrival {
  /** Its id (deduplication). */
  signalId: string;
  /** Its name. */
  name: string;
  /** Its payload, validated (JSON). */
  payload: unknown;
  /** The runtime's time, ms since the epoch. */
  now: number;
}

/** The part of the evolve draft that signal events change. */
export interface SignalDraft {
  /** The signal book (replaced, never mutated). */
  signals?: SignalBook;
  /** The retry due (a wait that starts clears it). */
  retry: SagaState['retry'];
}

/** The signal event types. */
export type SignalEvent = SagaEventOf<'SignalReceived'> | SagaEventOf<'SignalAwaited'> | SagaEventOf<'SignalConsumed'>;
