/**
 * Runs one attempt of a step's action or compensation: timeout, output validation,
 * classification. Returns the outcome as data; never throws for the step's failure.
 */
import { classify, errorInfo } from '../core/classify.js';
import { PayloadTooLargeError, PermanentError, StepTimeoutError, OutputValidationError } from '../core/errors.js';
import type { Failure } from '../core/recover.js';
import type { SagaState } from '../core/sagaState.js';
import type { SagaDefinition, StepDefinition } from '../definition/defineSaga.js';
import { describeIssue, type StandardSchemaV1 } from '../definition/standardSchema.js';
import type { Logger } from '../observability/logger.js';
import type { AttemptTelemetry } from '../observability/telemetry.js';
import type { AttemptControl } from './attemptControl.js';
import { DEFAULT_MAX_EVENT_BYTES } from '../stores/eventStore.js';
import type { ChildSagas } from './childSagas.js';

export type EffectOutcome =
  | { ok: true; output: unknown; durationMs: number }
  | { ok: false; failure: Failure; durationMs: number }
  /** The engine is shutting down: record nothing, the attempt stays in doubt and runs again later. */
  | { ok: false; released: true; durationMs: number };

export interface EffectRequest {
  definition: SagaDefinition<unknown, Record<string, unknown>>;
  state: SagaState;
  step: StepDefinition;
  phase: 'step' | 'compensation';
  attempt: number;
  idempotencyKey: string;
  log: Logger;
  /** Aborts the attempt from outside (shutdown, kill, fencing). */
  control: AttemptControl;
  now(): number;
  /** The attempt's span, when the engine has telemetry: the action runs inside its context. */
  trace?: AttemptTelemetry;
  /** Performs `.child` steps and the commit step (the engine's; absent in engines built without it). */
  children?: ChildSagas;
}

type Context = Parameters<StepDefinition['run']>[0];

/** The action of `step`: its own `run`, or what the engine does for a child step and the commit step. */
function actionOf(request: EffectRequest, context: Context): () => unknown {
  const { step, children } = request;
  if (step.child === undefined && step.commitsChildren === undefined) return () => step.run(context);
  if (!children) throw new Error(`bug: step ${step.name} needs the engine's child sagas`);
  return step.child ? () => children.run(step, context) : () => children.commit(request.definition, request.state, context);
}

/** The compensation of `step`, undefined when it has none. */
function compensationOf(request: EffectRequest, context: Context): (() => unknown) | undefined {
  const { step, children } = request;
  if (step.child && children) return () => children.compensate(step, context);
  const compensate = step.compensate;
  return compensate ? () => compensate(context as Parameters<typeof compensate>[0]) : undefined;
}

/** An output must fit in an event with room to spare for the rest of the event. */
const MAX_OUTPUT_BYTES = Math.floor(DEFAULT_MAX_EVENT_BYTES * 0.9);

/** The step's output through its schema, when it has one (sync validators stay sync). */
function validateOutput(step: StepDefinition, raw: unknown): unknown {
  if (!step.output) return raw;
  const result = step.output['~standard'].validate(raw);
  return result instanceof Promise ? result.then((r) => checked(step, r)) : checked(step, result);
}

function checked(step: StepDefinition, result: StandardSchemaV1.Result<unknown>): unknown {
  if (result.issues) {
    const issue = result.issues[0];
    throw new OutputValidationError(`step ${step.name} returned an invalid output: ${issue ? describeIssue(issue) : 'invalid'}`, {
      details: { issues: result.issues },
    });
  }
  return result.value;
}

/** The output as it will be stored (JSON), refused when it would not fit in an event. */
function storedOutput(step: StepDefinition, value: unknown): unknown {
  const json = JSON.stringify(value === undefined ? null : value);
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_OUTPUT_BYTES) {
    throw new PayloadTooLargeError(
      `step ${step.name} returned an output of ${bytes} bytes; the limit is ${MAX_OUTPUT_BYTES}. Store the data elsewhere and return a reference to it.`,
      {
        details: { step: step.name, bytes, limit: MAX_OUTPUT_BYTES },
      },
    );
  }
  // Outputs are stored as JSON: hand later steps exactly what a replay will see.
  return JSON.parse(json) as unknown;
}

/**
 * Runs the attempt with its timeout. Pure of the store: the caller appends the outcome.
 * `control` aborts it from outside (shutdown, kill, fencing): the attempt is then released,
 * not recorded. A timeout is a failure like any other (StepTimeoutError, transient).
 */
export async function runEffect(request: EffectRequest): Promise<EffectOutcome> {
  const { definition, state, step, phase, attempt, control, trace } = request;
  const started = request.now();
  let timedOut = false;
  let rejectAttempt!: (reason: unknown) => void;
  const aborted = new Promise<never>((_, reject) => (rejectAttempt = reject));
  aborted.catch(() => {});
  control.onAbort(rejectAttempt);
  const timeoutMs = step.timeoutMs;
  const timer = setTimeout(() => {
    timedOut = true;
    control.abort(new StepTimeoutError(`${phase} ${step.name} attempt ${attempt} timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  // Built field by field, not spread: `signal` is a getter that makes the AbortSignal only
  // when the step reads it.
  const context = {
    sagaId: state.sagaId,
    saga: state.saga,
    step: step.name,
    input: state.input,
    outputs: state.outputs,
    attempt,
    idempotencyKey: request.idempotencyKey,
    get signal(): AbortSignal {
      return control.signal;
    },
    log: request.log,
    traceparent: request.trace?.traceparent,
    output: phase === 'compensation' ? state.outputs[step.name] : undefined,
    cause: phase === 'compensation' ? (state.compensation?.cause ?? 'unknown') : undefined,
  };
  try {
    if (phase === 'step') {
      const action = actionOf(request, context);
      const run = trace ? () => trace.run(action) : action;
      const raw = await Promise.race([Promise.resolve().then(run), aborted]);
      let output = validateOutput(step, raw);
      if (output instanceof Promise) output = await output;
      return { ok: true, output: storedOutput(step, output), durationMs: request.now() - started };
    }
    const undo = compensationOf(request, context);
    if (!undo) throw new PermanentError(`step ${step.name} has no compensation`);
    await Promise.race([Promise.resolve().then(trace ? () => trace.run(undo) : undo), aborted]);
    return { ok: true, output: null, durationMs: request.now() - started };
  } catch (error) {
    const durationMs = request.now() - started;
    if (control.aborted && !timedOut) return { ok: false, released: true, durationMs };
    // Stopped by a cancel of its saga: what it did is in doubt, so it is compensated (partial).
    const kind = control.cancelled && phase === 'step' ? 'partial' : classify(error, step.classify, definition.classify);
    return { ok: false, failure: { phase, step: step.name, attempt, kind, error: errorInfo(error), durationMs }, durationMs };
  } finally {
    clearTimeout(timer);
  }
}
