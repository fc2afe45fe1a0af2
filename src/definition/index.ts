export * from './defineSaga.js';
export * from './stepContext.js';
export * from './standardSchema.js';
export type { ParallelGroupBuilder, ParallelOptions } from './parallelGroup.js';
export * from './defineMigration.js';
export type { SignalStepDefinition, WaitForConfig } from './waitFor.js';
