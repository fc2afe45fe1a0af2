export * from './defineSaga.js';
export * from './stepContext.js';
export * from './standardSchema.js';
export type { ParallelGroupBuilder, ParallelOptions } from './parallelGroup.js';
export * from './defineMigration.js';
export type { SignalStepDefinition, WaitForConfig } from './waitFor.js';
export {
  type ChildConfig,
  type ChildStepDefinition,
  type ParentVerdict,
  PARENT_VERDICT_SIGNAL,
  VERDICT_STEP,
  APPLY_VERDICT_STEP,
  COMMIT_CHILDREN_STEP,
  RESERVED_STEP_PREFIX,
  DEFAULT_VERDICT_TIMEOUT_MS,
  DEFAULT_CHILD_TIMEOUT_MS,
  asChildDefinition,
  modelForState,
} from './childStep.js';
