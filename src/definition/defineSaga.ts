/**
 * The saga DSL. `defineSaga({...}).step(name, {...}).step(...)`: each `.step` returns a new
 * definition whose later steps see the earlier steps' outputs with their types. Everything is
 * validated here, at definition time, with errors that name the saga, the step and the field.
 */
import type { Classifier } from '../core/classify.js';
import { DefinitionError } from '../core/errors.js';
import { DEFAULT_COMPENSATION_RETRY_POLICY, DEFAULT_RETRY_POLICY, retryPolicySchema } from '../core/retryPolicy.js';
import type { RetryPolicy } from '../core/retryPolicy.js';
import { DEFAULT_CHECKPOINT_EVERY } from '../core/sagaModel.js';
import type { SagaModel, StepModel } from '../core/sagaModel.js';
import { isStandardSchema, type StandardSchemaV1 } from './standardSchema.js';
import type { CompensationContext, StepContext } from './stepContext.js';
import type { ParallelGroupBuilder, ParallelOptions } from './parallelGroup.js';
import { buildParallelGroup } from './parallelGroup.js';
import type { SignalStepDefinition, WaitForConfig } from './waitFor.js';
import { waitForParts } from './waitFor.js';
import type { ChildConfig, ChildStepDefinition } from './childStep.js';
import { childParts, commitChildrenStep, RESERVED_STEP_PREFIX } from './childStep.js';

/**
 * The second argument of `.step(name, config)`: the action, its compensation, and how its
 * failures are retried and classified. Units: ms.
 */
export interface StepConfig<TInput, TOutputs, TOutput> {
  /** The action. Throw TransientError / PermanentError / PartialFailure to classify a failure. */
  run(ctx: StepContext<TInput, TOutputs>): Promise<TOutput> | TOutput;
  /** Undoes the action. Must be idempotent (it may run more than once) and eventually succeed. */
  compensate?(ctx: CompensationContext<TInput, TOutputs, TOutput>): Promise<void> | void;
  /**
   * Validates (and types) the output: any Standard Schema v1 validator (zod, valibot, arktype…).
   * A mismatch fails the step permanently (OutputValidationError).
   */
  output?: StandardSchemaV1<unknown, TOutput>;
  /**
   * How the action is retried; merged over {@link DEFAULT_RETRY_POLICY}: 5 attempts, 2 retries
   * at once, then 100 ms doubling up to 10_000 ms with full jitter, none after 60_000 ms.
   * @default DEFAULT_RETRY_POLICY
   */
  retry?: Partial<RetryPolicy>;
  /**
   * How the compensation is retried; merged over {@link DEFAULT_COMPENSATION_RETRY_POLICY}: as
   * the action's, but 8 attempts within 300_000 ms.
   * @default DEFAULT_COMPENSATION_RETRY_POLICY
   */
  compensationRetry?: Partial<RetryPolicy>;
  /**
   * Per attempt, in ms, of the action and of the compensation: the step's signal aborts and
   * the attempt fails with StepTimeoutError (transient). @default 30_000
   */
  timeoutMs?: number;
  /** A permanent failure skips this step instead of compensating the saga (forward recovery). @default false */
  optional?: boolean;
  /** Record a checkpoint (snapshot) once this step succeeds. @default false */
  checkpoint?: boolean;
  /** Classifies this step's errors before the saga's classifier and the default (where the error class decides). Without one, those decide. */
  classify?: Classifier;
}

/** A step as the runtime sees it. */
export interface StepDefinition extends StepModel {
  /** Per attempt, in ms. */
  timeoutMs: number;
  /** The step's own classifier, if any. */
  classify: Classifier | undefined;
  /** The output schema, if any. */
  output: StandardSchemaV1<unknown, unknown> | undefined;
  /** The action. */
  run(ctx: StepContext<unknown, Record<string, unknown>>): Promise<unknown> | unknown;
  /** The compensation, undefined when the step has none. */
  compensate: ((ctx: CompensationContext<unknown, Record<string, unknown>, unknown>) => Promise<void> | void) | undefined;
  /** Set for a step declared with `.waitFor`: it waits for this signal instead of running an action. */
  signal?: SignalStepDefinition;
  /** Set for a step declared with `.child`: the engine starts this child saga and waits for it instead of calling `run`. */
  child?: ChildStepDefinition;
  /** Set for the implicit last step of a saga with child steps: the engine commits the children instead of calling `run`. */
  commitsChildren?: true;
}

/** The argument of {@link defineSaga}: the saga's name, version, input schema and saga-wide settings. */
export interface SagaConfig<TSchema extends StandardSchemaV1 = StandardSchemaV1> {
  /** Unique among the sagas an engine runs: letters, digits, '_', '.', '-'. */
  name: string;
  /** Bump when the steps change; running sagas keep the version they started with. @default 1 */
  version?: number;
  /**
   * Validates (and types) the input of `start`: any Standard Schema v1 validator (zod — the
   * documented default —, valibot, arktype…), from any copy of the library.
   */
  input: TSchema;
  /** Classifies the errors of every step, after the step's own classifier and before the default. */
  classify?: Classifier;
  /** Record a checkpoint (snapshot) after this many events without one; an integer >= 2. @default 50 */
  checkpointEvery?: number;
  /**
   * How long a saga may run, in ms from its start: past it, a running saga is cancelled (its
   * running step's signal fires, and it compensates). `engine.start(…, { deadlineMs })`
   * overrides it per saga. @default none
   */
  deadlineMs?: number;
}

/** `timeoutMs` of a step that sets none: 30_000 ms. */
export const DEFAULT_STEP_TIMEOUT_MS = 30_000;

/**
 * The compile error of a duplicate step name: the name's parameter takes this message type,
 * so the compiler says `… is not assignable to parameter of type '"step \"a\" is already
 * defined in this saga: step names must be unique"'`.
 */
export type DuplicateStepName<TName extends string> = `step "${TName}" is already defined in this saga: step names must be unique`;

/**
 * A typed saga definition. `TInput` is what steps see (the schema's output), `TOutputs`
 * accumulates the outputs of the steps declared so far, `TStartInput` is what `engine.start`
 * accepts (the schema's input: before defaults and transforms).
 */
export interface SagaDefinition<TInput = unknown, TOutputs extends Record<string, unknown> = Record<string, unknown>, TStartInput = TInput> extends SagaModel {
  /** The input schema (Standard Schema v1). */
  readonly input: StandardSchemaV1<TStartInput, TInput>;
  /** The saga-wide classifier, consulted after a step's own. */
  readonly classify: Classifier | undefined;
  /** The saga's default deadline, in ms from its start; undefined: none. */
  readonly deadlineMs: number | undefined;
  /** The steps, in order. */
  readonly steps: readonly StepDefinition[];
  /** Adds a step; later steps see its output (typed) in `ctx.outputs`. */
  step<TName extends string, TOutput, TOptional extends boolean = false>(
    name: TName extends keyof TOutputs ? DuplicateStepName<TName> : TName,
    config: StepConfig<TInput, TOutputs, TOutput> & { optional?: TOptional },
  ): SagaDefinition<TInput, TOutputs & (TOptional extends true ? { [K in TName]?: TOutput } : { [K in TName]: TOutput }), TStartInput>;
  /**
   * Adds a parallel group: the branches `build` declares run concurrently, at most
   * `concurrency` at once; the next step starts once every branch succeeded (or, optional,
   * was skipped) and sees every branch's output (typed). If a branch fails for good, the others'
   * signals fire, and every branch that completed is compensated, in the reverse of the order
   * their outcomes were recorded, then the steps before the group in reverse (docs/parallel.md).
   */
  parallel<TBranches>(
    name: string,
    options: ParallelOptions,
    build: (g: ParallelGroupBuilder<TInput, TOutputs, NoOutputs>) => ParallelGroupBuilder<TInput, TOutputs, TBranches>,
  ): SagaDefinition<TInput, TOutputs & TBranches, TStartInput>;
  /**
   * Adds a step that waits durably for a signal (`engine.signal(sagaId, config.signal, payload)`)
   * for up to `config.timeoutMs`; later steps see the validated payload (typed) in `ctx.outputs`.
   */
  waitFor<TName extends string, TPayload, TOptional extends boolean = false>(
    name: TName extends keyof TOutputs ? DuplicateStepName<TName> : TName,
    config: WaitForConfig<TInput, TOutputs, TPayload> & { optional?: TOptional },
  ): SagaDefinition<TInput, TOutputs & (TOptional extends true ? { [K in TName]?: TPayload } : { [K in TName]: TPayload }), TStartInput>;
  /**
   * Adds a step that starts another saga (`config.saga`, registered in the same engine) and
   * waits until it has finished its steps; later steps see the child's outputs (typed) in
   * `ctx.outputs`. The child keeps what it did only if this saga completes; compensating this
   * step compensates the child (docs/children.md).
   */
  child<TName extends string, TChild extends AnySagaDefinition, TOptional extends boolean = false>(
    name: TName extends keyof TOutputs ? DuplicateStepName<TName> : TName,
    config: ChildConfig<TInput, TOutputs, TChild> & { optional?: TOptional },
  ): SagaDefinition<TInput, TOutputs & (TOptional extends true ? { [K in TName]?: SagaOutputs<TChild> } : { [K in TName]: SagaOutputs<TChild> }), TStartInput>;
}

/** The outputs a completed saga returns. */
export type SagaOutputs<TDefinition> = TDefinition extends SagaDefinition<infer _TInput, infer TOutputs, infer _TStartInput> ? TOutputs : never;
/** What `engine.start` accepts for a definition: the input schema's input type. */
export type SagaInput<TDefinition> = TDefinition extends SagaDefinition<infer _TInput, infer _TOutputs, infer TStartInput> ? TStartInput : never;

/**
 * Any saga definition, whatever its types: what an engine, a worker or the CLI holds a list of.
 * (`any`, not `unknown`: a definition's `step` and `run` take its types contravariantly, so a
 * typed definition is not assignable to `SagaDefinition<unknown, …>`.)
 */
// biome-ignore lint/suspicious/noExplicitAny: see above, the one place this is needed.
export type AnySagaDefinition = SagaDefinition<any, any, any>;

/** The outputs of a saga with no step yet: the identity of `&`, so outputs read as `{ a: A } & { b: B }`. */
// biome-ignore lint/complexity/noBannedTypes: `{}` is exactly the empty intersection here (Record<never, never> is not simplified away).
export type NoOutputs = {};

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
  if (!Number.isFinite(value) || value <= 0)
    throw new DefinitionError(`${where}: ${field} must be a positive number of ms, got ${String(value)}`, { details: { field } });
  return value;
}

function buildStep(sagaName: string, existing: readonly StepDefinition[], name: string, config: StepConfig<unknown, never, unknown>): StepDefinition {
  const where = `saga "${sagaName}" step "${name}"`;
  if (typeof name !== 'string' || !NAME.test(name))
    throw new DefinitionError(`saga "${sagaName}": step name ${JSON.stringify(name)} must be 1-100 characters from A-Z a-z 0-9 _ . -`, {
      details: { field: 'name' },
    });
  if (name.startsWith(RESERVED_STEP_PREFIX))
    throw new DefinitionError(`saga "${sagaName}": step name "${name}" starts with "${RESERVED_STEP_PREFIX}", which the engine reserves for its own steps`, {
      details: { field: 'name', step: name },
    });
  if (existing.some((s) => s.name === name))
    throw new DefinitionError(`saga "${sagaName}": duplicate step name "${name}"`, { details: { field: 'name', step: name } });
  if (typeof config?.run !== 'function') throw new DefinitionError(`${where}: run must be a function`, { details: { field: 'run' } });
  if (config.compensate !== undefined && typeof config.compensate !== 'function')
    throw new DefinitionError(`${where}: compensate must be a function when given`, { details: { field: 'compensate' } });
  return Object.freeze({
    name,
    optional: config.optional === true,
    checkpoint: config.checkpoint === true,
    compensable: config.compensate !== undefined,
    retry: policy(where, 'retry', DEFAULT_RETRY_POLICY, config.retry),
    compensationRetry: policy(where, 'compensationRetry', DEFAULT_COMPENSATION_RETRY_POLICY, config.compensationRetry),
    timeoutMs: positiveNumber(where, 'timeoutMs', config.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS),
    classify: config.classify,
    output: schemaOrUndefined(where, 'output', config.output),
    run: config.run as StepDefinition['run'],
    compensate: config.compensate as StepDefinition['compensate'],
  });
}

function schemaOrUndefined(where: string, field: string, schema: unknown): StandardSchemaV1<unknown, unknown> | undefined {
  if (schema === undefined) return undefined;
  if (!isStandardSchema(schema))
    throw new DefinitionError(`${where}: ${field} must be a Standard Schema v1 validator (zod, valibot, arktype…) when given`, { details: { field } });
  return schema as StandardSchemaV1<unknown, unknown>;
}

interface BuildConfig {
  name: string;
  version: number;
  input: StandardSchemaV1;
  classify: Classifier | undefined;
  checkpointEvery: number;
  deadlineMs: number | undefined;
}

function build<TInput>(config: BuildConfig, steps: readonly StepDefinition[]): SagaDefinition<TInput, never> {
  const definition = {
    name: config.name,
    version: config.version,
    input: config.input,
    classify: config.classify,
    checkpointEvery: config.checkpointEvery,
    deadlineMs: config.deadlineMs,
    // A saga with child steps ends by committing its children (childStep.ts).
    steps: steps.some((s) => s.child !== undefined) ? Object.freeze([...steps, commitChildrenStep]) : steps,
    step(name: string, stepConfig: StepConfig<TInput, never, unknown>) {
      return build(config, [...steps, buildStep(config.name, steps, name, stepConfig as StepConfig<unknown, never, unknown>)]);
    },
    parallel(name: string, options: ParallelOptions, group: (g: ParallelGroupBuilder<unknown, unknown, unknown>) => unknown) {
      const branches = buildParallelGroup(config.name, steps, name, options, group, (existing, branch, c) => buildStep(config.name, existing, branch, c));
      return build(config, [...steps, ...branches]);
    },
    waitFor(name: string, waitConfig: WaitForConfig<TInput, never, unknown>) {
      const parts = waitForParts(config.name, name, waitConfig as WaitForConfig<unknown, never, unknown>, config.classify);
      const base = buildStep(config.name, steps, name, parts.step as unknown as StepConfig<unknown, never, unknown>);
      return build(config, [...steps, Object.freeze({ ...base, signal: parts.signal })]);
    },
    child(name: string, childConfig: ChildConfig<TInput, never, AnySagaDefinition>) {
      const parts = childParts(config.name, name, childConfig as ChildConfig<unknown, never, AnySagaDefinition>);
      const base = buildStep(config.name, steps, name, parts.step as unknown as StepConfig<unknown, never, unknown>);
      return build(config, [...steps, Object.freeze({ ...base, child: parts.child })]);
    },
  };
  return Object.freeze(definition) as unknown as SagaDefinition<TInput, never>;
}

/**
 * Starts a saga definition; add steps with `.step(name, config)`.
 *
 * @throws {@link DefinitionError} (`DEFINITION_INVALID`) naming the field for a bad name,
 * version, schema, policy or timeout (from `defineSaga` or from `.step`).
 */
export function defineSaga<TSchema extends StandardSchemaV1>(
  config: SagaConfig<TSchema>,
): SagaDefinition<StandardSchemaV1.InferOutput<TSchema>, NoOutputs, StandardSchemaV1.InferInput<TSchema>> {
  const where = `saga ${JSON.stringify(config?.name)}`;
  if (typeof config?.name !== 'string' || !NAME.test(config.name))
    throw new DefinitionError(`${where}: name must be 1-100 characters from A-Z a-z 0-9 _ . -`, { details: { field: 'name' } });
  const version = config.version ?? 1;
  if (!Number.isInteger(version) || version < 1)
    throw new DefinitionError(`${where}: version must be an integer >= 1, got ${String(version)}`, { details: { field: 'version' } });
  // Not `instanceof`: the user's zod may be another copy than ours, or another library.
  if (!isStandardSchema(config.input))
    throw new DefinitionError(`${where}: input must be a Standard Schema v1 validator (zod, valibot, arktype…)`, { details: { field: 'input' } });
  const checkpointEvery = config.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  if (!Number.isInteger(checkpointEvery) || checkpointEvery < 2)
    throw new DefinitionError(`${where}: checkpointEvery must be an integer >= 2, got ${String(checkpointEvery)}`, { details: { field: 'checkpointEvery' } });
  const deadlineMs = config.deadlineMs === undefined ? undefined : positiveNumber(where, 'deadlineMs', config.deadlineMs);
  return build({ name: config.name, version, input: config.input, classify: config.classify, checkpointEvery, deadlineMs }, []) as unknown as SagaDefinition<
    StandardSchemaV1.InferOutput<TSchema>,
    NoOutputs,
    StandardSchemaV1.InferInput<TSchema>
  >;
}

/**
 * Checks a definition is runnable (at least one step); engines call it at registration.
 *
 * @throws {@link DefinitionError} (`DEFINITION_INVALID`) for a value that is not a definition, or one without steps.
 */
export function assertRunnable(definition: SagaDefinition<unknown, Record<string, unknown>>): void {
  if (!definition || typeof definition.step !== 'function' || !Array.isArray(definition.steps)) {
    throw new DefinitionError('Not a saga definition: create one with defineSaga({...}).step(...)');
  }
  if (definition.steps.length === 0)
    throw new DefinitionError(`saga "${definition.name}": has no steps; add one with .step(name, { run })`, { details: { field: 'steps' } });
}
