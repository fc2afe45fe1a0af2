/**
 * The telemetry port: what the runtime tells a tracing and metrics back end, as plain data.
 * The runtime calls it only when an engine is given one (`EngineOptions.telemetry`); without
 * it nothing is built per attempt. `openTelemetry()` from `sagaflow/otel` is the adapter (the
 * only importer of `@opentelemetry/api`, an optional peer), so the root export loads no
 * OpenTelemetry package.
 */

/** What a saga's start tells telemetry. */
export interface SagaStartInfo {
  /** The saga's id. */
  sagaId: string;
  /** The definition's name. */
  saga: string;
  /** The definition's version. */
  version: number;
  /** Whether this engine drives the saga (false for a client engine, `runSagas: false`). */
  drivenHere: boolean;
}

/** The saga's trace, opened when the saga starts. */
export interface SagaStartTelemetry {
  /**
   * Recorded in the metadata of the saga's first append (SagaStarted): e.g. a W3C
   * `traceparent`, so every attempt, in any process and after any restart, joins the trace.
   */
  readonly metadata: Readonly<Record<string, string>>;
  /** The start is durable (`created`), or the idempotency key named a saga that already existed (`!created`), or it failed (`error`). */
  settled(result: { created: boolean } | { error: unknown }): void;
}

/** One attempt of a step's action or of its compensation. */
export interface AttemptInfo {
  /** The saga's id. */
  sagaId: string;
  /** The definition's name. */
  saga: string;
  /** The step's name. */
  step: string;
  /** The attempt's number, 1 for the first. */
  attempt: number;
  /** `step` (the action) or `compensation`. */
  phase: 'step' | 'compensation';
  /** This engine's id. */
  worker: string;
  /** The metadata the saga's start recorded (see {@link SagaStartTelemetry.metadata}); `{}` when none. */
  sagaMetadata: Readonly<Record<string, unknown>>;
}

/** How an attempt ended. */
export interface AttemptEnd {
  /**
   * `succeeded` or `failed` (its outcome is recorded), `released` (the engine shut down during
   * it: it runs again later), `fenced` (another worker took it over).
   */
  outcome: 'succeeded' | 'failed' | 'released' | 'fenced';
  /** The failure's classification, for `failed`. */
  kind?: 'transient' | 'permanent' | 'partial';
  /** The error's stable code (never its message: messages may carry personal data), for `failed`. */
  errorCode?: string;
  /** The error's class name, for `failed`. */
  errorName?: string;
  /** The attempt's own run time, in ms. */
  durationMs: number;
}

/** An attempt in flight, as telemetry sees it. */
export interface AttemptTelemetry {
  /** The W3C `traceparent` of the attempt's span, handed to the step as `ctx.traceparent`; undefined when not sampled or none. */
  readonly traceparent: string | undefined;
  /** Runs `fn` (the step's `run` or `compensate`) with the attempt's span as the active context, so spans it starts are its children. */
  run<T>(fn: () => T): T;
  /** Ends the attempt's span and records its duration. Called once. */
  end(end: AttemptEnd): void;
}

/** One saga event of an append. */
export interface AppendedEvent {
  /** The event type, e.g. `SagaCompleted`. */
  readonly type: string;
  /** The event's data (plain: before any payload codec). */
  readonly data: unknown;
}

/** A durable append of saga events by this engine. */
export interface AppendedInfo {
  /** The saga's id. */
  sagaId: string;
  /** The definition's name ('' when unknown, e.g. a park of a corrupted stream). */
  saga: string;
  /** The events appended, in order (type and data; no store fields). */
  events: readonly AppendedEvent[];
}

/**
 * The port. Implement it to send sagaflow's spans and metrics elsewhere; `openTelemetry()`
 * (`sagaflow/otel`) implements it on `@opentelemetry/api`. Calls must not throw: the runtime
 * does not guard them.
 */
export interface Telemetry {
  /** A saga is starting (before its first append). */
  sagaStarting(info: SagaStartInfo): SagaStartTelemetry;
  /** An attempt is about to run (its intent is durable). */
  attemptStarted(info: AttemptInfo): AttemptTelemetry;
  /** Events this engine appended are durable (counts: started, completed, compensated, parked, retries). */
  appended(info: AppendedInfo): void;
  /** The engine closed: end what is still open (saga spans of sagas that did not end here). */
  close?(): void;
}

/** Span and metric attribute names (OpenTelemetry style); `error.type` is the semantic-conventions name. */
export const TelemetryAttributes = {
  /** The saga's id. */
  sagaId: 'sagaflow.saga.id',
  /** The saga definition's name. */
  saga: 'sagaflow.saga.name',
  /** The saga definition's version. */
  sagaVersion: 'sagaflow.saga.version',
  /** How the saga ended: completed, compensated, parked; `open` when the span ended before the saga did. */
  sagaOutcome: 'sagaflow.saga.outcome',
  /** The step's name. */
  step: 'sagaflow.step',
  /** The attempt's number, 1 for the first. */
  attempt: 'sagaflow.attempt',
  /** `step` or `compensation`. */
  phase: 'sagaflow.phase',
  /** How the attempt ended: succeeded, failed, released, fenced. */
  outcome: 'sagaflow.outcome',
  /** The failure's classification: transient, permanent, partial. */
  failureKind: 'sagaflow.failure.kind',
  /** The error's stable code. */
  errorType: 'error.type',
  /** The worker (engine) id. */
  worker: 'sagaflow.worker',
} as const;

/** Metric instrument names. */
export const TelemetryMetrics = {
  /** Counter: sagas started (SagaStarted appended). */
  started: 'sagaflow.sagas.started',
  /** Counter: sagas completed. */
  completed: 'sagaflow.sagas.completed',
  /** Counter: sagas compensated. */
  compensated: 'sagaflow.sagas.compensated',
  /** Counter: sagas parked (failed, needing attention). */
  parked: 'sagaflow.sagas.parked',
  /** Counter: retries scheduled (RetryScheduled appended), by step and phase. */
  retries: 'sagaflow.attempts.retries',
  /** Histogram: attempt run time in ms, by saga, step, phase, outcome and classification. */
  attemptDuration: 'sagaflow.attempt.duration',
} as const;

/** The metadata key of the W3C trace context recorded with SagaStarted. */
export const TRACEPARENT_METADATA_KEY = 'traceparent';
