/**
 * Fault scenarios: a random saga shape plus what goes wrong at each attempt. Plain data, so a
 * failing property test prints a scenario that can be pasted into a unit test.
 */
import type { RetryPolicy } from '../core/retryPolicy.js';

/** What one attempt of a step does. Crashes kill the engine (a dead process) at that point. */
export type AttemptFault = 'ok' | 'transient' | 'permanent' | 'partial' | 'timeout' | 'crashBefore' | 'crashAfter';
/** What one attempt of a compensation does. */
export type CompensationFault = 'ok' | 'fail' | 'failPermanent' | 'crash';

export interface StepScenario {
  name: string;
  optional: boolean;
  compensable: boolean;
  checkpoint: boolean;
  retry: RetryPolicy;
  compensationRetry: RetryPolicy;
  /** Fault of attempt i+1; attempts past the end succeed. */
  faults: AttemptFault[];
  compensationFaults: CompensationFault[];
}

export interface Scenario {
  steps: StepScenario[];
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

export interface AppendRefusal {
  at: number;
  kind: AppendRefusalKind;
}
