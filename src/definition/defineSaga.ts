/**
 * The saga DSL. `defineSaga({...}).step(name, {...}).step(...)`: each `.step` returns a new
 * definition whose later steps see the earlier steps' outputs with their types. Everything is
 * validated here, at definition time, with errors that name the saga, the step and the field.
 */
import { z } from 'zod';
import type { Classifier } from '../core/classify.js';
import { DefinitionError } from '../core/errors.js';
import { DEFAULT_COMPENSATION_RETRY_POLICY, DEFAULT_RETRY_POLICY, retryPolicySchema } from '../core/retryPolicy.js';
import type { RetryPolicy } from '../core/retryPolicy.js';
import { DEFAULT_CHECKPOINT_EVERY } from '../core/sagaModel.js';
import type { SagaModel, StepModel } from '../core/sagaModel.js';
import type { CompensationContext, StepContext } from './stepContext.js';

export interface StepConfig<TInput, TOutputs, TOutput> {
  /** The action. Throw TransientError / PermanentError / PartialFailure to classify a failure. */
  run(ctx: StepContext<TInput, TOutputs>): Promise<TOutput> | TOutput;
  /** Undoes the action. Must be idempotent (it may run more than once) and eventually succeed. */
  compensate?(ctx: CompensationContext<TInput, TOutputs, TOutput>): Promise<void> | void;
  /** Validates (and types) the output; a mismatch fails the step permanently. */
  output?: z.ZodType<TOutput>;
  /** Merged over DEFAULT_RETRY_POLICY. */
  retry?: Partial<RetryPolicy>;
  /** Merged over DEFAULT_COMPENSATION_RETRY_POLICY. */
  compensationRetry?: Partial<RetryPolicy>;
  /** Per attempt, in ms; the step's signal aborts and the attempt fails transiently. @default 30_000 */
  timeoutMs?: number;
  /** A permanent failure skips this step instead of compensating the saga (forward recovery). @default false */
  optional?: boolean;
  /** Record a checkpoint (snapshot) once this step succeeds. @default false */
  checkpoint?: boolean;
  /** Classifies this step's errors before the saga's classifier and the default. */
  classify?: Classifier;
}

/** A step as the runtime sees it. */
export interface StepDefinition extends StepModel {
  timeoutMs: number;
  classify: Classifier | undefined;
  output: z.ZodType<unknown> | undefined;
  run(ctx: StepContext<unknown, Record<string, unknown>>): Promise<unknown> | unknown;
  compensate: ((ctx: CompensationContext<unknown, Record<string, unknown>, unknown>) => Promise<void> | void) | undefined;
}

export interface SagaConfig<TInput> {
  /** Unique among the sagas an engine runs: letters, digits, '_', '.', '-'. */
  name: string;
  /** Bump when the steps change; running sagas keep the version they started with. @default 1 */
  version?: number;
  /** Validates (and types) the input of `start`. */
  input: z.ZodType<TInput>;
  classify?: Classifier;
  /** @default 50 */
  checkpointEvery?: number;
}

export const DEFAULT_STEP_TIMEOUT_MS = 30_000;

/** A typed saga definition. `TOutputs` accumulates the outputs of the steps declared so far. */
export interface SagaDefinition<TInput = unknown, TOutputs extends Record<string, unknown> = Record<string, unknown>> extends SagaModel {
  readonly input: z.ZodType<TInput>;
  readonly classify: Classifier | undefined;
  readonly steps: readonly StepDefinition[];
  step<TName extends string, TOutput, TOptional extends boolean = false>(
    name: TName extends keyof TOutputs ? never : TName,
    config: StepConfig<TInput, TOutputs, TOutput> & { optional?: TOptional },
  ): SagaDefinition<TInput, TOutputs & (TOptional extends true ? { [K in TName]?: TOutput } : { [K in TName]: TOutput })>;
}

/** The outputs a completed saga returns. */
export type SagaOutputs<TDefinition> = TDefinition extends SagaDefinition<unknown, infer TOutputs> ? TOutputs : never;
export type SagaInput<TDefinition> = TDefinition extends SagaDefinition<infer TInput, Record<string, unknown>> ? TInput : never;

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

function policy(where: string, field: string, base: RetryPolicy, overrides: Partial<RetryPolicy> | undefined): RetryPolicy {
  const merged = { ...base, ...overrides };
  const parsed = retryPolicySchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = [field, ...(issue?.path ?? [])].join('.');
    throw new DefinitionError(`${where}: ${path}: ${issue?.message ?? 'invalid'} (got ${JSON.stringify(merged)})`, { details: { field: path } });
  }
  return Object.freeze(parsed.data);
}

function positiveNumber(where: string, field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new DefinitionError(`${where}: ${field} must be a positive number of ms, got ${String(value)}`, { details: { field } });
  return value;
}

function buildStep(sagaName: string, existing: readonly StepDefinition[], name: string, config: StepConfig<unknown, never, unknown>): StepDefinition {
  const where = `saga "${sagaName}" step "${name}"`;
  if (typeof name !== 'string' || !NAME.test(name)) throw new DefinitionError(`saga "${sagaName}": step name ${JSON.stringify(name)} must be 1-100 characters from A-Z a-z 0-9 _ . -`, { details: { field: 'name' } });
  if (existing.some((s) => s.name === name)) throw new DefinitionError(`saga "${sagaName}": duplicate step name "${name}"`, { details: { field: 'name', step: name } });
  if (typeof config?.run !== 'function') throw new DefinitionError(`${where}: run must be a function`, { details: { field: 'run' } });
  if (config.compensate !== undefined && typeof config.compensate !== 'function') throw new DefinitionError(`${where}: compensate must be a function when given`, { details: { field: 'compensate' } });
  return Object.freeze({
    name,
    optional: config.optional === true,
    checkpoint: config.checkpoint === true,
    compensable: config.compensate !== undefined,
    retry: policy(where, 'retry', DEFAULT_RETRY_POLICY, config.retry),
    compensationRetry: policy(where, 'compensationRetry', DEFAULT_COMPENSATION_RETRY_POLICY, config.compensationRetry),
    timeoutMs: positiveNumber(where, 'timeoutMs', config.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS),
    classify: config.classify,
    output: config.output as z.ZodType<unknown> | undefined,
    run: config.run as StepDefinition['run'],
    compensate: config.compensate as StepDefinition['compensate'],
  });
}

function build<TInput>(config: Required<Omit<SagaConfig<TInput>, 'classify'>> & { classify: Classifier | undefined }, steps: readonly StepDefinition[]): SagaDefinition<TInput, never> {
  const definition = {
    name: config.name,
    version: config.version,
    input: config.input,
    classify: config.classify,
    checkpointEvery: config.checkpointEvery,
    steps,
    step(name: string, stepConfig: StepConfig<TInput, never, unknown>) {
      return build(config, [...steps, buildStep(config.name, steps, name, stepConfig as StepConfig<unknown, never, unknown>)]);
    },
  };
  return Object.freeze(definition) as unknown as SagaDefinition<TInput, never>;
}

/**
 * Starts a saga definition; add steps with `.step(name, config)`. Throws DefinitionError
 * naming the field for a bad name, version, schema, policy or timeout.
 */
export function defineSaga<TInput>(config: SagaConfig<TInput>): SagaDefinition<TInput, {}> {
  const where = `saga ${JSON.stringify(config?.name)}`;
  if (typeof config?.name !== 'string' || !NAME.test(config.name)) throw new DefinitionError(`${where}: name must be 1-100 characters from A-Z a-z 0-9 _ . -`, { details: { field: 'name' } });
  const version = config.version ?? 1;
  if (!Number.isInteger(version) || version < 1) throw new DefinitionError(`${where}: version must be an integer >= 1, got ${String(version)}`, { details: { field: 'version' } });
  if (!(config.input instanceof z.ZodType)) throw new DefinitionError(`${where}: input must be a zod schema`, { details: { field: 'input' } });
  const checkpointEvery = config.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  if (!Number.isInteger(checkpointEvery) || checkpointEvery < 2) throw new DefinitionError(`${where}: checkpointEvery must be an integer >= 2, got ${String(checkpointEvery)}`, { details: { field: 'checkpointEvery' } });
  return build({ name: config.name, version, input: config.input, classify: config.classify, checkpointEvery }, []) as unknown as SagaDefinition<TInput, {}>;
}

/** Checks a definition is runnable (at least one step); engines call it at registration. */
export function assertRunnable(definition: SagaDefinition<unknown, Record<string, unknown>>): void {
  if (!definition || typeof definition.step !== 'function' || !Array.isArray(definition.steps)) {
    throw new DefinitionError('Not a saga definition: create one with defineSaga({...}).step(...)');
  }
  if (definition.steps.length === 0) throw new DefinitionError(`saga "${definition.name}": has no steps; add one with .step(name, { run })`, { details: { field: 'steps' } });
}
