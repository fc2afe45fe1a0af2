/**
 * Fault scenarios: a random saga shape plus what goes wrong at each attempt. Plain data, so a
 * failing property test prints a scenario that can be pasted into a unit test.
 */
import type { RetryPolicy } from '../core/retryPolicy.js';

/** What one attempt of a step does. Crashes kill the engine (a dead process) at that point. */
export type AttemptFault = 'ok' | 'transient' | 'permanent' | 'partial' | 'timeout' | 'crashBefore' | 'crashAfter';
/** What one attempt of a compensation does. */
export type CompensationFault = 'ok' | 'fail' | 'failPermanent' | 'crash';

/** One step of a scenario: its shape, its policies, and the fault of each attempt. */
export interface StepScenario {
  /** The step's name. */
  name: string;
  /** `optional` of the step (a permanent failure skips it). */
  optional: boolean;
  /** Whether the step has a compensation. */
  compensable: boolean;
  /** `checkpoint` of the step. */
  checkpoint: boolean;
  /** The action's retry policy. */
  retry: RetryPolicy;
  /** The compensation's retry policy. */
  compensationRetry: RetryPolicy;
  /** Fault of attempt i+1; attempts past the end succeed. */
  faults: AttemptFault[];
  /** Fault of compensation attempt i+1; attempts past the end succeed. */
  compensationFaults: CompensationFault[];
  /** The step is a branch of this parallel group (consecutive steps of one group form it). Absent: sequential. */
  parallel?: {
    /** The group's name. */
    group: string;
    /** Its concurrency limit. */
    concurrency: number;
  };
}

/** A whole fault scenario: a saga's steps, and the crashes, cancellation and refused appends around them. */
export interface Scenario {
  /** The saga's steps, in order. */
  steps: StepScenario[];
  /** `checkpointEvery` of the saga. */
  checkpointEvery: number;
  /** Kill the engine right after these appends (1-based, counted across restarts). */
  crashAfterAppends: number[];
  /** Request cancellation right after this append (1-based), if set. */
  cancelAfterAppend: number | null;
  /**
   * The store refuses these append calls for good (1-based, counted over every call, refused
   * ones included; the saga's first append is never refused). Absent: none.
   */
  refuseAppends?: AppendRefusal[];
}

/** How the store refuses an append: too large, invalid (a TypeError, as the port's checks throw), or a bug. */
export type AppendRefusalKind = 'tooLarge' | 'invalid' | 'bug';

/** One append call the store refuses. */
export interface AppendRefusal {
  /** Which call (1-based, counted over every append call). */
  at: number;
  /** How it is refused. */
  kind: AppendRefusalKind;
}
