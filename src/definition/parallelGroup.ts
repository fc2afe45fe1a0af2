/**
 * The DSL of parallel groups: `.parallel(name, { concurrency }, (g) => g.step(…).step(…))`.
 * A branch is declared like any step (its own retry policy, compensation, timeout, classifier)
 * and sees the outputs of the steps before the group; the steps after the group see every
 * branch's output, typed. Validated here, at definition time, with errors naming the field.
 */
import { DefinitionError } from '../core/errors.js';
import type { StepConfig, StepDefinition } from './defineSaga.js';

/** The second argument of `.parallel(name, options, build)`. */
export interface ParallelOptions {
  /** How many of the group's branches may run at once: an integer >= 1. @default every branch */
  concurrency?: number;
}

/**
 * What `.parallel`'s callback receives: add branches with `.step(name, config)`. `TOutputs`
 * are the outputs of the steps before the group (what every branch sees), `TBranches` the
 * outputs of the branches declared so far (what the steps after the group will see too).
 */
export interface ParallelGroupBuilder<TInput, TOutputs, TBranches> {
  /** The branches declared so far, in order. */
  readonly branches: readonly StepDefinition[];
  /** Adds a branch: a step that runs beside the group's other branches. */
  step<TName extends string, TOutput, TOptional extends boolean = false>(
    name: TName extends keyof TOutputs | keyof TBranches ? `step "${TName}" is already defined in this saga: step names must be unique` : TName,
    config: StepConfig<TInput, TOutputs, TOutput> & { optional?: TOptional },
  ): ParallelGroupBuilder<TInput, TOutputs, TBranches & (TOptional extends true ? { [K in TName]?: TOutput } : { [K in TName]: TOutput })>;
}

/** How defineSaga builds one step, with the names taken so far. */
export type BuildStep = (existing: readonly StepDefinition[], name: string, config: StepConfig<unknown, never, unknown>) => StepDefinition;

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

function builder(buildStep: BuildStep, taken: readonly StepDefinition[], branches: readonly StepDefinition[]): ParallelGroupBuilder<unknown, unknown, unknown> {
  return Object.freeze({
    branches,
    step(name: string, config: StepConfig<unknown, never, unknown>) {
      return builder(buildStep, taken, [...branches, buildStep([...taken, ...branches], name, config)]);
    },
  }) as unknown as ParallelGroupBuilder<unknown, unknown, unknown>;
}

/**
 * The branches of a group, each with its group recorded (`parallel: { group, concurrency }`).
 *
 * @throws {@link DefinitionError} (`DEFINITION_INVALID`) naming the field: a bad or taken group
 * name (`name`), a bad `concurrency`, a callback that returns no builder (`build`), a group
 * without branches (`steps`), or any branch's own error (as `.step` gives).
 */
export function buildParallelGroup(
  sagaName: string,
  existing: readonly StepDefinition[],
  name: string,
  options: ParallelOptions | undefined,
  build: (g: ParallelGroupBuilder<unknown, unknown, unknown>) => unknown,
  buildStep: BuildStep,
): StepDefinition[] {
  const where = `saga "${sagaName}" parallel group ${JSON.stringify(name)}`;
  if (typeof name !== 'string' || !NAME.test(name))
    throw new DefinitionError(`${where}: name must be 1-100 characters from A-Z a-z 0-9 _ . -`, { details: { field: 'name' } });
  if (existing.some((s) => s.name === name || s.parallel?.group === name))
    throw new DefinitionError(`${where}: the name is already taken by a step or another group of this saga`, { details: { field: 'name', group: name } });
  if (typeof build !== 'function')
    throw new DefinitionError(`${where}: the third argument must be a function (g) => g.step(…)…`, { details: { field: 'build' } });
  const concurrency = options?.concurrency;
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1))
    throw new DefinitionError(`${where}: concurrency must be an integer >= 1, got ${String(concurrency)}`, { details: { field: 'concurrency' } });
  const result = build(builder(buildStep, existing, []));
  const branches = (result as { branches?: unknown } | undefined)?.branches;
  if (!Array.isArray(branches))
    throw new DefinitionError(`${where}: the callback must return the builder it was given, with its branches (g) => g.step(…)`, {
      details: { field: 'build' },
    });
  if (branches.length === 0) throw new DefinitionError(`${where}: has no branches; add them with g.step(name, { run })`, { details: { field: 'steps' } });
  const parallel = Object.freeze({ group: name, concurrency: concurrency ?? branches.length });
  return (branches as StepDefinition[]).map((b) => Object.freeze({ ...b, parallel }));
}
