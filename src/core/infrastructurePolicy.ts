/**
 * How the runtime retries the store — appends, reads, the worker's subscription — after a
 * transient failure (the store is down, a connection dropped). One policy for all of them,
 * plain data like a step's RetryPolicy, with time and randomness injected. Units: ms.
 *
 * Unlike a step, the store is never given up on: an outcome that is not durable yet must not
 * be dropped. After `unhealthyAfterMs` of failing the engine reports itself unhealthy
 * (`engine.health()`), and `sagaflow worker` exits non-zero so that its supervisor restarts it.
 */
import { nextDelay } from './retryPolicy.js';

/**
 * How the runtime retries store calls after a transient failure, and when it calls itself
 * unhealthy. Units: ms. Unset fields default to {@link DEFAULT_INFRASTRUCTURE_POLICY}.
 */
export interface InfrastructurePolicy {
  /** First delay, in ms. @default 50 */
  initialDelayMs: number;
  /** Multiplier between delays (>= 1). @default 2 */
  backoff: number;
  /** Cap on any single delay, in ms. @default 5000 */
  maxDelayMs: number;
  /** 'full': uniform in [0, cap); 'none': the cap itself. @default 'full' */
  jitter: 'full' | 'none';
  /** How long the store may fail without a success before the engine is unhealthy, in ms. @default 30000 */
  unhealthyAfterMs: number;
}

/** 50 ms doubling to 5_000 ms, full jitter; unhealthy after 30_000 ms of failing. */
export const DEFAULT_INFRASTRUCTURE_POLICY: InfrastructurePolicy = Object.freeze({
  initialDelayMs: 50,
  backoff: 2,
  maxDelayMs: 5_000,
  jitter: 'full',
  unhealthyAfterMs: 30_000,
});

/** The delay before retry `failedAttempts + 1` (the first retry after 1 failure). Pure. */
export function infrastructureDelay(policy: InfrastructurePolicy, failedAttempts: number, random: number): number {
  const { initialDelayMs, backoff, maxDelayMs, jitter } = policy;
  // The backoff of a step policy with no immediate retries: the first retry already waits.
  const delay = nextDelay(
    { immediateAttempts: 0, maxAttempts: Number.MAX_SAFE_INTEGER, maxElapsedMs: Infinity, initialDelayMs, backoff, maxDelayMs, jitter },
    failedAttempts,
    random,
  );
  // Never 0 with full jitter: a retry loop against a down store must not spin.
  return Math.max(1, delay);
}
