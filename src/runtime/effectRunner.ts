/**
 * Runs one attempt of a step's action or compensation: timeout, output validation,
 * classification. Returns the outcome as data; never throws for the step's failure.
 */
import { classify, errorInfo } from '../core/classify.js';
import { PermanentError, StepTimeoutError, OutputValidationError } from '../core/errors.js';
import type { Failure } from '../core/recover.js';
import type { SagaState } from '../core/sagaState.js';
import type { SagaDefinition, StepDefinition } from '../definition/defineSaga.js';
import type { Logger } from '../observability/logger.js';
import type { AttemptControl } from './attemptControl.js';
import { DEFAULT_MAX_EVENT_BYTES } from '../stores/eventStore.js';

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
}

/** An output must fit in an event with room to spare for the rest of the event. */
const MAX_OUTPUT_BYTES = Math.floor(DEFAULT_MAX_EVENT_BYTES * 0.9);

function normalizeOutput(step: StepDefinition, raw: unknown): unknown {
  let value = raw;
  if (step.output) {
    const parsed = step.output.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new OutputValidationError(`step ${step.name} returned an invalid output: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`, { cause: parsed.error });
    }
    value = parsed.data;
  }
  const json = JSON.stringify(value === undefined ? null : value);
  if (Buffer.byteLength(json) > MAX_OUTPUT_BYTES) {
    throw new PermanentError(`step ${step.name} returned an output of ${Buffer.byteLength(json)} bytes; the limit is ${MAX_OUTPUT_BYTES}. Return a reference instead.`, { details: { code: 'PAYLOAD_TOO_LARGE' } });
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
  const { definition, state, step, phase, attempt, control } = request;
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
    output: phase === 'compensation' ? state.outputs[step.name] : undefined,
    cause: phase === 'compensation' ? (state.compensation?.cause ?? 'unknown') : undefined,
  };
  try {
    if (phase === 'step') {
      const raw = await Promise.race([Promise.resolve().then(() => step.run(context)), aborted]);
      return { ok: true, output: normalizeOutput(step, raw), durationMs: request.now() - started };
    }
    const compensate = step.compensate;
    if (!compensate) throw new PermanentError(`step ${step.name} has no compensation`);
    await Promise.race([Promise.resolve().then(() => compensate(context as Parameters<typeof compensate>[0])), aborted]);
    return { ok: true, output: null, durationMs: request.now() - started };
  } catch (error) {
    const durationMs = request.now() - started;
    if (control.aborted && !timedOut) return { ok: false, released: true, durationMs };
    const kind = classify(error, step.classify, definition.classify);
    return { ok: false, failure: { phase, step: step.name, attempt, kind, error: errorInfo(error), durationMs }, durationMs };
  } finally {
    clearTimeout(timer);
  }
}
