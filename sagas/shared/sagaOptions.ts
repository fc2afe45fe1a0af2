/** Options every example saga factory accepts, so demos and tests can shrink delays. */
import type { RetryPolicy } from '../../src/index.js';

export interface ExampleSagaOptions {
  /** Merged into every step's retry policy. */
  retry?: Partial<RetryPolicy>;
  /** Merged into every step's compensation retry policy. */
  compensationRetry?: Partial<RetryPolicy>;
  /** Per attempt, in ms. @default 30_000 (the framework's) */
  timeoutMs?: number;
}

/** The step-config fields an {@link ExampleSagaOptions} sets, ready to spread into `.step()`. */
export function stepPolicies(options: ExampleSagaOptions): { retry?: Partial<RetryPolicy>; compensationRetry?: Partial<RetryPolicy>; timeoutMs?: number } {
  return {
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.compensationRetry ? { compensationRetry: options.compensationRetry } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  };
}
