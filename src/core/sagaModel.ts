/**
 * What the pure core needs to know of a saga definition: its steps' shapes and policies.
 * The DSL's definitions satisfy this interface; core never sees step functions.
 */
import type { StepShape } from './events.js';
import type { RetryPolicy } from './retryPolicy.js';

export interface StepModel extends StepShape {
  retry: RetryPolicy;
  compensationRetry: RetryPolicy;
}

export interface SagaModel {
  name: string;
  version: number;
  steps: readonly StepModel[];
  /** Record a checkpoint (snapshot) after this many events without one. @default 50 */
  checkpointEvery: number;
}

export const DEFAULT_CHECKPOINT_EVERY = 50;

export function stepModel(model: SagaModel, name: string): StepModel | undefined {
  return model.steps.find((s) => s.name === name);
}

/** The shapes recorded in `SagaStarted`. */
export function stepShapes(model: SagaModel): StepShape[] {
  return model.steps.map(({ name, optional, checkpoint, compensable }) => ({ name, optional, checkpoint, compensable }));
}
