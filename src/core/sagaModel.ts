/**
 * What the pure core needs to know of a saga definition: its steps' shapes and policies.
 * The DSL's definitions satisfy this interface; core never sees step functions.
 */
import type { StepShape } from './events.js';
import type { RetryPolicy } from './retryPolicy.js';
import type { SignalWaitModel } from './signalTypes.js';

/** A step as core sees it: its shape and its two retry policies. */
export interface StepModel extends StepShape {
  /** How the step's action is retried, complete (defaults merged). */
  retry: RetryPolicy;
  /** How the step's compensation is retried, complete (defaults merged). */
  compensationRetry: RetryPolicy;
  /** Set for a step that waits for a signal (`.waitFor`) instead of running an action. */
  signal?: SignalWaitModel;
}

/** A saga definition as core sees it: names, shapes and policies, no functions. */
export interface SagaModel {
  /** The saga's name. */
  name: string;
  /** The definition's version. */
  version: number;
  /** The steps, in the order they run. */
  steps: readonly StepModel[];
  /** Record a checkpoint (snapshot) after this many events without one. @default 50 */
  checkpointEvery: number;
}

/** `checkpointEvery` of a saga that sets none: a checkpoint after 50 events without one. */
export const DEFAULT_CHECKPOINT_EVERY = 50;

/** The step named `name` in the model, undefined when it has none. */
export function stepModel(model: SagaModel, name: string): StepModel | undefined {
  return model.steps.find((s) => s.name === name);
}

/** The shapes recorded in `SagaStarted`. */
export function stepShapes(model: SagaModel): StepShape[] {
  return model.steps.map(({ name, optional, checkpoint, compensable, parallel }) =>
    parallel === undefined ? { name, optional, checkpoint, compensable } : { name, optional, checkpoint, compensable, parallel: { ...parallel } },
  );
}
