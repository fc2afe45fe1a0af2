/**
 * `.child(name, { saga, input })`: a step that starts another saga (the child) and waits for
 * it to finish its steps; its output is the child's outputs. Nested-transaction semantics on
 * plain steps and durable signals (docs/children.md):
 *
 *   - a child started by a parent does not complete on its own: after its last step it waits
 *     for its parent's verdict (the implicit `.waitFor` step {@link VERDICT_STEP}), then the
 *     implicit step {@link APPLY_VERDICT_STEP} fails permanently (PARENT_COMPENSATED) when the
 *     verdict is `compensate`, so the child undoes its steps in reverse;
 *   - a parent with child steps ends with the implicit step {@link COMMIT_CHILDREN_STEP}, which
 *     sends `commit` to every child it kept and waits until each has completed;
 *   - compensating a child step sends `compensate` (or cancels a child still running its
 *     steps) and waits until the child has ended compensated.
 *
 * The runtime performs these steps (runtime/childSagas.ts); this file only declares them.
 */
import { z } from 'zod';
import type { Classifier } from '../core/classify.js';
import { DefinitionError, PARENT_COMPENSATED, PermanentError } from '../core/errors.js';
import { DEFAULT_COMPENSATION_RETRY_POLICY, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../core/retryPolicy.js';
import type { AnySagaDefinition, SagaInput, StepDefinition } from './defineSaga.js';
import type { StandardSchemaV1 } from './standardSchema.js';
import type { StepContext } from './stepContext.js';
import { COMMIT_CHILDREN_STEP, VERDICT_STEP } from '../core/childPhase.js';
import type { SagaModel } from '../core/sagaModel.js';

export { COMMIT_CHILDREN_STEP, VERDICT_STEP };

/** The name of the internal signal that carries a parent's verdict to its child. */
export const PARENT_VERDICT_SIGNAL = 'sagaflow.parent-verdict';
/** The implicit step of a child saga that fails (PARENT_COMPENSATED) when the verdict is `compensate`. */
export const APPLY_VERDICT_STEP = 'sagaflow.apply-verdict';
/** Step names starting with this are the engine's own; a definition may not use them. */
export const RESERVED_STEP_PREFIX = 'sagaflow.';

/** `verdictTimeoutMs` of a child step that sets none: 30 days. */
export const DEFAULT_VERDICT_TIMEOUT_MS = 30 * 24 * 3_600_000;
/** `timeoutMs` of a child step that sets none (how long one attempt waits for the child): 1 hour. */
export const DEFAULT_CHILD_TIMEOUT_MS = 3_600_000;

/** A parent's verdict on one child: keep what it did, or undo it. */
export type ParentVerdict = 'commit' | 'compensate';

/** The second argument of `.child(name, config)`. Units: ms. */
export interface ChildConfig<TInput, TOutputs, TChild extends AnySagaDefinition> {
  /** The child saga's definition; register it in the same engine (`createEngine({ sagas: [parent, child] })`). */
  saga: TChild;
  /**
   * The child's input, from the parent's input and earlier outputs; type-checked against the
   * child's input schema and validated by it. Must be deterministic: every attempt of the step
   * computes it again, and the same child (one id per parent and step) must get the same input.
   */
  input(ctx: StepContext<TInput, TOutputs>): SagaInput<TChild> | Promise<SagaInput<TChild>>;
  /**
   * How long the child, once its steps are done, waits for this saga's verdict, in ms. Past it
   * the child compensates on its own (SignalTimeoutError): keep it longer than the parent may
   * take to finish. @default DEFAULT_VERDICT_TIMEOUT_MS (30 days)
   */
  verdictTimeoutMs?: number;
  /**
   * How long one attempt waits for the child to finish its steps, in ms; a timeout is transient:
   * the next attempt waits for the same child. @default DEFAULT_CHILD_TIMEOUT_MS (1 hour)
   */
  timeoutMs?: number;
  /** How the step is retried (a retry starts no second child); merged over DEFAULT_RETRY_POLICY. @default DEFAULT_RETRY_POLICY */
  retry?: Partial<RetryPolicy>;
  /** How compensating the child is retried; merged over DEFAULT_COMPENSATION_RETRY_POLICY. @default DEFAULT_COMPENSATION_RETRY_POLICY */
  compensationRetry?: Partial<RetryPolicy>;
  /** A child that fails skips this step (the child has compensated itself) instead of compensating this saga. @default false */
  optional?: boolean;
  /** Record a checkpoint (snapshot) once the child finished its steps. @default false */
  checkpoint?: boolean;
  /** Classifies this step's errors (a ChildSagaFailedError is permanent by default). */
  classify?: Classifier;
}

/** What a child step adds to a step definition. */
export interface ChildStepDefinition {
  /** The child's definition. */
  saga: AnySagaDefinition;
  /** Computes the child's input from the step's context. */
  input(ctx: StepContext<unknown, Record<string, unknown>>): unknown;
  /** How long the child waits for the verdict, in ms. */
  verdictTimeoutMs: number;
}

/** The runtime performs child steps and the commit step itself: it never calls this. */
function performedByTheEngine(): never {
  throw new Error('bug: a .child step and the commit step are performed by the engine, not called');
}

/**
 * Checks a `.child` config and splits it into the step config its step is built from (its
 * compensation is the child's) and the child part.
 *
 * @throws {@link DefinitionError} (`DEFINITION_INVALID`) naming the field.
 */
export function childParts(
  sagaName: string,
  name: string,
  config: ChildConfig<unknown, never, AnySagaDefinition>,
): { step: Record<string, unknown>; child: ChildStepDefinition } {
  const where = `saga "${sagaName}" step "${name}"`;
  if (typeof config !== 'object' || config === null) throw new DefinitionError(`${where}: child needs a config { saga, input }`);
  const saga = config.saga as AnySagaDefinition | undefined;
  if (!saga || typeof saga.step !== 'function' || !Array.isArray(saga.steps))
    throw new DefinitionError(`${where}: saga must be a saga definition (defineSaga({...}).step(...))`, { details: { field: 'saga' } });
  if (saga.name === sagaName) throw new DefinitionError(`${where}: a saga cannot be its own child`, { details: { field: 'saga' } });
  if (typeof config.input !== 'function')
    throw new DefinitionError(`${where}: input must be a function (ctx) => the child's input`, { details: { field: 'input' } });
  const verdictTimeoutMs = config.verdictTimeoutMs ?? DEFAULT_VERDICT_TIMEOUT_MS;
  if (typeof verdictTimeoutMs !== 'number' || !Number.isFinite(verdictTimeoutMs) || verdictTimeoutMs <= 0)
    throw new DefinitionError(`${where}: verdictTimeoutMs must be a positive number of ms, got ${String(verdictTimeoutMs)}`, {
      details: { field: 'verdictTimeoutMs' },
    });
  const { saga: _saga, input, verdictTimeoutMs: _v, timeoutMs, ...rest } = config;
  return {
    step: { ...rest, timeoutMs: timeoutMs ?? DEFAULT_CHILD_TIMEOUT_MS, run: performedByTheEngine, compensate: performedByTheEngine },
    child: Object.freeze({ saga, input: input as ChildStepDefinition['input'], verdictTimeoutMs }),
  };
}

const verdictPayload = z.object({ verdict: z.enum(['commit', 'compensate']) });

function internalStep(name: string, parts: Partial<StepDefinition> & Pick<StepDefinition, 'run' | 'retry'>): StepDefinition {
  return Object.freeze({
    name,
    optional: false,
    checkpoint: false,
    compensable: false,
    compensationRetry: DEFAULT_COMPENSATION_RETRY_POLICY,
    timeoutMs: DEFAULT_CHILD_TIMEOUT_MS,
    classify: undefined,
    output: undefined,
    compensate: undefined,
    ...parts,
  });
}

/** One wait: a verdict that does not come in time is a permanent failure (the child compensates). */
const ONCE: RetryPolicy = Object.freeze({ ...DEFAULT_RETRY_POLICY, maxAttempts: 1 });
/** Committing children must not give up early: a commit left half done would compensate committed children. */
const PATIENT: RetryPolicy = Object.freeze({ ...DEFAULT_RETRY_POLICY, maxAttempts: 100, maxElapsedMs: 24 * 3_600_000, maxDelayMs: 60_000 });

/** The commit step a definition with child steps ends with. */
export const commitChildrenStep: StepDefinition = internalStep(COMMIT_CHILDREN_STEP, { run: performedByTheEngine, retry: PATIENT, commitsChildren: true });

function applyVerdict(ctx: StepContext<unknown, Record<string, unknown>>): null {
  const verdict = (ctx.outputs[VERDICT_STEP] as { verdict?: ParentVerdict } | undefined)?.verdict;
  if (verdict === 'compensate')
    throw new PermanentError(`saga ${ctx.sagaId}: its parent compensates the step that started it, so it undoes its own steps`, {
      details: { code: PARENT_COMPENSATED },
    });
  return null;
}

/** The steps of `definition` without the commit step, which a child runs after its verdict instead. */
function ownSteps(definition: AnySagaDefinition): StepDefinition[] {
  return definition.steps.filter((s: StepDefinition) => s.name !== COMMIT_CHILDREN_STEP);
}

const asChildCache = new WeakMap<AnySagaDefinition, Map<number, AnySagaDefinition>>();

/**
 * The definition a saga started as a child runs with: its steps, then the verdict wait and the
 * step that applies it (then, if it has children of its own, its commit step: grandchildren
 * are committed only once this child is). Pure; the same object for the same arguments.
 */
export function asChildDefinition(definition: AnySagaDefinition, verdictTimeoutMs: number): AnySagaDefinition {
  const byTimeout = asChildCache.get(definition) ?? new Map<number, AnySagaDefinition>();
  asChildCache.set(definition, byTimeout);
  const cached = byTimeout.get(verdictTimeoutMs);
  if (cached) return cached;
  const own = ownSteps(definition);
  const wait = internalStep(VERDICT_STEP, {
    run: performedByTheEngine,
    retry: ONCE,
    signal: Object.freeze({
      name: PARENT_VERDICT_SIGNAL,
      timeoutMs: verdictTimeoutMs,
      timeoutKind: 'permanent' as const,
      payload: verdictPayload as StandardSchemaV1<unknown, unknown>,
    }),
  });
  const apply = internalStep(APPLY_VERDICT_STEP, { run: applyVerdict as StepDefinition['run'], retry: ONCE });
  const commit = own.length < definition.steps.length ? [commitChildrenStep] : [];
  const derived = Object.freeze({ ...definition, steps: Object.freeze([...own, wait, apply, ...commit]) }) as AnySagaDefinition;
  byTimeout.set(verdictTimeoutMs, derived);
  return derived;
}

/** The `.child` steps of a definition, in order. */
export function childStepsOf(definition: { steps: readonly StepDefinition[] }): StepDefinition[] {
  return definition.steps.filter((s) => s.child !== undefined);
}

/**
 * The model a saga's state is checked against: a child's (`state.parent` set) has the verdict
 * steps after its own. For `verify` and the console, which hold models by name and version.
 */
export function modelForState<TModel extends SagaModel>(model: TModel | undefined, state: { parent?: { verdictTimeoutMs: number } }): TModel | undefined {
  if (!model || !state.parent) return model;
  return asChildDefinition(model as unknown as AnySagaDefinition, state.parent.verdictTimeoutMs) as unknown as TModel;
}
