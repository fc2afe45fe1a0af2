/**
 * `.waitFor(name, { signal, payload, timeoutMs })`: a step that waits durably for a signal
 * from outside (`engine.signal(sagaId, signal, payload)`) instead of running an action. Its
 * validated payload is its output, seen by later steps in `ctx.outputs`. Validated here, at
 * definition time, with errors that name the saga, the step and the field.
 */
import type { Classifier } from '../core/classify.js';
import { classify } from '../core/classify.js';
import { DefinitionError, SignalTimeoutError } from '../core/errors.js';
import type { RetryPolicy } from '../core/retryPolicy.js';
import type { SignalWaitModel } from '../core/signals.js';
import { isStandardSchema, type StandardSchemaV1 } from './standardSchema.js';
import type { CompensationContext } from './stepContext.js';

/** The second argument of `.waitFor(name, config)`. Units: ms. */
export interface WaitForConfig<TInput, TOutputs, TPayload> {
  /** The name of the signal to wait for, as `engine.signal` sends it: 1-100 characters from A-Z a-z 0-9 _ . - */
  signal: string;
  /**
   * Validates (and types) the signal's payload: any Standard Schema v1 validator (zod,
   * valibot, arktype…). `engine.signal` refuses a payload it rejects (SignalPayloadInvalidError)
   * and appends nothing; the validated value is the step's output.
   */
  payload: StandardSchemaV1<unknown, TPayload>;
  /**
   * How long the saga waits, in ms from when it reaches the step. A signal received before
   * then (even before the saga reached the step) ends the wait; past it the step fails with
   * SignalTimeoutError, recovered as `classify` says (default: permanent, so the saga compensates).
   */
  timeoutMs: number;
  /** Undoes what the signal stood for, when a later step fails. Must be idempotent. */
  compensate?(ctx: CompensationContext<TInput, TOutputs, TPayload>): Promise<void> | void;
  /**
   * Classifies the timeout (a SignalTimeoutError), before the saga's classifier and the
   * default (permanent). Asked once, at definition time: return 'transient' to wait again
   * (a new wait of `timeoutMs`) within `retry`'s budget, 'permanent' to compensate.
   */
  classify?: Classifier;
  /**
   * How many waits a transient timeout allows (`maxAttempts`, `maxElapsedMs` from the first
   * wait; the delays apply between waits). Merged over DEFAULT_RETRY_POLICY. @default DEFAULT_RETRY_POLICY
   */
  retry?: Partial<RetryPolicy>;
  /** How the compensation is retried; merged over DEFAULT_COMPENSATION_RETRY_POLICY. @default DEFAULT_COMPENSATION_RETRY_POLICY */
  compensationRetry?: Partial<RetryPolicy>;
  /** A permanent timeout skips this step (its output is then absent) instead of compensating the saga. @default false */
  optional?: boolean;
  /** Record a checkpoint (snapshot) once the signal is consumed. @default false */
  checkpoint?: boolean;
}

/** What a waiting step adds to a step definition: its signal model and the payload's schema. */
export interface SignalStepDefinition extends SignalWaitModel {
  /** Validates the payload `engine.signal` is given. */
  payload: StandardSchemaV1<unknown, unknown>;
}

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** A waiting step never runs an action: the engine never calls this. */
function neverRun(): never {
  throw new Error('bug: a .waitFor step has no action; the engine consumes its signal instead');
}

/**
 * Checks a `.waitFor` config and splits it into the step config its action-less step is built
 * from and the signal part. Pure but for the classifiers, which are called once here.
 *
 * @throws {@link DefinitionError} (`DEFINITION_INVALID`) naming the field.
 */
export function waitForParts(
  sagaName: string,
  name: string,
  config: WaitForConfig<unknown, never, unknown>,
  sagaClassify: Classifier | undefined,
): { step: Record<string, unknown> & { run: () => never }; signal: SignalStepDefinition } {
  const where = `saga "${sagaName}" step "${name}"`;
  if (typeof config !== 'object' || config === null) throw new DefinitionError(`${where}: waitFor needs a config { signal, payload, timeoutMs }`);
  if (typeof config.signal !== 'string' || !NAME.test(config.signal))
    throw new DefinitionError(`${where}: signal must be 1-100 characters from A-Z a-z 0-9 _ . -, got ${JSON.stringify(config.signal)}`, {
      details: { field: 'signal' },
    });
  if (!isStandardSchema(config.payload))
    throw new DefinitionError(`${where}: payload must be a Standard Schema v1 validator (zod, valibot, arktype…)`, { details: { field: 'payload' } });
  if (typeof config.timeoutMs !== 'number' || !Number.isFinite(config.timeoutMs) || config.timeoutMs <= 0)
    throw new DefinitionError(
      `${where}: timeoutMs must be a positive number of ms (how long to wait for signal "${config.signal}"), got ${String(config.timeoutMs)}`,
      {
        details: { field: 'timeoutMs' },
      },
    );
  if (config.classify !== undefined && typeof config.classify !== 'function')
    throw new DefinitionError(`${where}: classify must be a function when given`, { details: { field: 'classify' } });
  const probe = new SignalTimeoutError(`step ${name} waited ${config.timeoutMs} ms for signal "${config.signal}" and none came`, {
    details: { step: name, signal: config.signal, timeoutMs: config.timeoutMs },
  });
  const timeoutKind = classify(probe, config.classify, sagaClassify);
  const { signal, payload, timeoutMs, ...rest } = config;
  return {
    step: { ...rest, run: neverRun },
    signal: Object.freeze({ name: signal, timeoutMs, timeoutKind, payload: payload as StandardSchemaV1<unknown, unknown> }),
  };
}
