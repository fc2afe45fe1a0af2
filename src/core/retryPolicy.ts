/**
 * Retry policies as plain data (Temporal's shape), validated once at definition time, and the
 * pure delay function. No clock, no randomness of its own: `random` is injected.
 */
import { z } from 'zod';

/**
 * How a step (or compensation) is retried after a transient failure. Units are milliseconds.
 * The defaults are those of a step's action ({@link DEFAULT_RETRY_POLICY}); a compensation's
 * are {@link DEFAULT_COMPENSATION_RETRY_POLICY} (8 attempts, 300_000 ms).
 */
export interface RetryPolicy {
  /** Retries that run at once, before backoff starts. @default 2 */
  immediateAttempts: number;
  /** Attempts in all, the first included; when spent, the failure becomes permanent. @default 5 */
  maxAttempts: number;
  /** Time since the first attempt after which no retry is scheduled, in ms. @default 60_000 */
  maxElapsedMs: number;
  /** First backoff delay, in ms. @default 100 */
  initialDelayMs: number;
  /** Multiplier between backoff delays (>= 1). @default 2 */
  backoff: number;
  /** Cap on any single delay, in ms. @default 10_000 */
  maxDelayMs: number;
  /** 'full': uniform in [0, cap) (AWS's "full jitter"); 'none': the cap itself. @default 'full' */
  jitter: 'full' | 'none';
}

/** The retry policy of a step's action, for the fields a step does not set. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  immediateAttempts: 2,
  maxAttempts: 5,
  maxElapsedMs: 60_000,
  initialDelayMs: 100,
  backoff: 2,
  maxDelayMs: 10_000,
  jitter: 'full',
});

/** Compensations must eventually succeed, so they get a longer budget by default. */
export const DEFAULT_COMPENSATION_RETRY_POLICY: RetryPolicy = Object.freeze({
  ...DEFAULT_RETRY_POLICY,
  maxAttempts: 8,
  maxElapsedMs: 300_000,
});

const nonNegInt = z.number().int().nonnegative();
/** Validates a complete {@link RetryPolicy}: no unknown fields, `maxDelayMs >= initialDelayMs`. */
export const retryPolicySchema = z
  .object({
    /** An integer >= 0. */
    immediateAttempts: nonNegInt,
    /** An integer >= 1. */
    maxAttempts: z.number().int().min(1),
    /** ms, >= 0. */
    maxElapsedMs: z.number().nonnegative(),
    /** ms, >= 0. */
    initialDelayMs: z.number().nonnegative(),
    /** >= 1. */
    backoff: z.number().min(1),
    /** ms, >= `initialDelayMs`. */
    maxDelayMs: z.number().nonnegative(),
    /** `'full'` or `'none'`. */
    jitter: z.enum(['full', 'none']),
  })
  .strict()
  .refine((p) => p.maxDelayMs >= p.initialDelayMs, {
    message: 'maxDelayMs must be >= initialDelayMs',
    path: ['maxDelayMs'],
  });

/**
 * The cap on the delay before attempt `failedAttempts + 1`: 0 for the first `immediateAttempts`
 * retries, then `initialDelayMs * backoff^k`, capped at `maxDelayMs`. Pure; monotone in
 * `failedAttempts`.
 */
export function delayCap(policy: RetryPolicy, failedAttempts: number): number {
  const k = failedAttempts - 1 - policy.immediateAttempts;
  if (k < 0) return 0;
  // Exponentiation overflows to Infinity for large k; Math.min still yields the cap.
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.backoff ** k);
}

/**
 * Delay in ms before the next attempt, after `failedAttempts` (>= 1) attempts failed.
 * `random` is a number in [0, 1) supplied by the caller (the runtime's injected source).
 * Pure: the same inputs give the same output. Never exceeds `maxDelayMs`.
 */
export function nextDelay(policy: RetryPolicy, failedAttempts: number, random: number): number {
  // Whole milliseconds: timers and stored due times are integers.
  const cap = Math.floor(delayCap(policy, failedAttempts));
  if (policy.jitter === 'none') return cap;
  return Math.floor(Math.min(Math.max(random, 0), 0.999999) * cap);
}

/** Whether another attempt is allowed after `failedAttempts` failed, `elapsedMs` after the first began. */
export function canRetry(policy: RetryPolicy, failedAttempts: number, elapsedMs: number): boolean {
  return failedAttempts < policy.maxAttempts && elapsedMs < policy.maxElapsedMs;
}
