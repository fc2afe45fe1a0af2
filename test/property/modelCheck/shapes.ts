/**
 * The saga shapes the model check enumerates: every sequence of 1 to 3 steps, each step with
 * or without a compensation, optional or not, with a budget of 1 or 2 attempts (its
 * compensation gets the same budget). Retries wait a fixed 10 ms (no jitter, no immediate
 * retries) so that "time passes a retry timer" is an input of its own; the time budget
 * (maxElapsedMs) never runs out, so only relative times matter (see explore.ts).
 */
import { DEFAULT_RETRY_POLICY } from '../../../src/core/index.js';
import type { FailureKind, RetryPolicy, SagaModel, StepModel } from '../../../src/core/index.js';

export interface StepVariant {
  compensable: boolean;
  optional: boolean;
  maxAttempts: 1 | 2;
  /** Set for a step that waits for a signal: how its timeout is classified. */
  waitTimeout?: FailureKind;
}

/** How long a waiting step of the model check waits, in ms. */
export const WAIT_MS = 30;

export const RETRY_DELAY_MS = 10;

function budget(maxAttempts: number): RetryPolicy {
  return {
    ...DEFAULT_RETRY_POLICY,
    immediateAttempts: 0,
    maxAttempts,
    maxElapsedMs: Number.MAX_SAFE_INTEGER,
    initialDelayMs: RETRY_DELAY_MS,
    backoff: 1,
    maxDelayMs: RETRY_DELAY_MS,
    jitter: 'none',
  };
}

/** The 8 variants of one step. */
export const STEP_VARIANTS: readonly StepVariant[] = [true, false].flatMap((compensable) =>
  [false, true].flatMap((optional) => ([1, 2] as const).map((maxAttempts) => ({ compensable, optional, maxAttempts }))),
);

export function variantName(v: StepVariant): string {
  return `${v.waitTimeout ? `W${v.waitTimeout[0]}` : ''}${v.compensable ? 'C' : '-'}${v.optional ? 'O' : '-'}${v.maxAttempts}`;
}

/** The 16 variants of a waiting step: the 8 of a step, each with a permanent or a transient timeout. */
export const WAIT_VARIANTS: readonly StepVariant[] = STEP_VARIANTS.flatMap((v) =>
  (['permanent', 'transient'] as const).map((waitTimeout) => ({ ...v, waitTimeout })),
);

/** Every shape of two steps, one of them a waiting step (first or second): 2 × 16 × 8. */
export function signalShapes(): StepVariant[][] {
  return WAIT_VARIANTS.flatMap((w) =>
    STEP_VARIANTS.flatMap((v) => [
      [v, w],
      [w, v],
    ]),
  );
}

export function modelOfShape(shape: readonly StepVariant[]): SagaModel {
  const steps: StepModel[] = shape.map((v, i) => ({
    name: `s${i + 1}`,
    optional: v.optional,
    checkpoint: false,
    compensable: v.compensable,
    retry: budget(v.maxAttempts),
    compensationRetry: budget(v.maxAttempts),
    ...(v.waitTimeout ? { signal: { name: 'go', timeoutMs: WAIT_MS, timeoutKind: v.waitTimeout } } : {}),
  }));
  // No periodic checkpoint within the bound: a checkpoint is covered by the unit and property tests.
  return { name: shape.map(variantName).join(' '), version: 1, steps, checkpointEvery: 10_000 };
}

/** Every shape of exactly `length` steps whose variants are drawn from `variants`. */
export function shapesOf(length: number, variants: readonly StepVariant[] = STEP_VARIANTS): StepVariant[][] {
  if (length === 0) return [[]];
  return shapesOf(length - 1, variants).flatMap((prefix) => variants.map((v) => [...prefix, v]));
}

/** A shape with a parallel group: an optional step before it, then the group's branches (with the group's concurrency limit). */
export interface ParallelShape {
  before: StepVariant | null;
  branches: readonly StepVariant[];
  concurrency: number;
}

export function modelOfParallelShape(shape: ParallelShape): SagaModel {
  const base = modelOfShape(shape.before ? [shape.before] : []);
  const branches: StepModel[] = shape.branches.map((v, i) => ({
    name: `b${i + 1}`,
    optional: v.optional,
    checkpoint: false,
    compensable: v.compensable,
    retry: budget(v.maxAttempts),
    compensationRetry: budget(v.maxAttempts),
    parallel: { group: 'g', concurrency: shape.concurrency },
  }));
  const name = `${shape.before ? `${variantName(shape.before)} ` : ''}[${shape.branches.map(variantName).join(' | ')}]/${shape.concurrency}`;
  return { ...base, name, steps: [...base.steps, ...branches] };
}

/**
 * The parallel shapes the model check enumerates: a 2-branch group of every pair of variants,
 * both branches at once (concurrency 2) and one at a time (concurrency 1), alone; and the
 * group after a compensable step with one attempt, both at once.
 */
export function parallelShapes(): ParallelShape[] {
  const pairs = shapesOf(2);
  const before: StepVariant = { compensable: true, optional: false, maxAttempts: 1 };
  return [
    ...pairs.map((branches) => ({ before: null, branches, concurrency: 2 })),
    ...pairs.map((branches) => ({ before: null, branches, concurrency: 1 })),
    ...pairs.map((branches) => ({ before, branches, concurrency: 2 })),
  ];
}
