/** What step actions and compensations receive. */

/** A structured logger (pino's shape): fields first, then the message. */
export interface StepLogger {
  /** Writes a debug line with `fields`. */
  debug(fields: Record<string, unknown>, message?: string): void;
  /** Writes an info line with `fields`. */
  info(fields: Record<string, unknown>, message?: string): void;
  /** Writes a warning with `fields`. */
  warn(fields: Record<string, unknown>, message?: string): void;
  /** Writes an error line with `fields`. */
  error(fields: Record<string, unknown>, message?: string): void;
}

/** What a step's `run` receives: the saga's input, the earlier steps' outputs, and the attempt. */
export interface StepContext<TInput, TOutputs> {
  /** The saga's id. */
  sagaId: string;
  /** The saga definition's name. */
  saga: string;
  /** This step's name. */
  step: string;
  /** The saga's input, as validated by the definition's `input` schema. */
  input: TInput;
  /** Outputs of the steps before this one, typed by the definition. */
  outputs: Readonly<TOutputs>;
  /** 1 for the first attempt. */
  attempt: number;
  /**
   * Stable across attempts and workers (`<sagaId>/<step>`): pass it to the participant so it
   * applies the effect once although the step may run more than once.
   */
  idempotencyKey: string;
  /** Aborted when the step's `timeoutMs` passes or the engine shuts down. */
  signal: AbortSignal;
  /** The engine's logger, bound to the saga, step and attempt. */
  log: StepLogger;
  /**
   * The W3C `traceparent` of this attempt's span when the engine has telemetry (`sagaflow/otel`),
   * for a participant reached without OpenTelemetry instrumentation (put it in a message
   * header). Instrumented clients need nothing: the span is the active context while the step runs.
   */
  traceparent?: string | undefined;
}

/**
 * What a step's `compensate` receives: the step context (with the compensation's own
 * `attempt` and idempotency key `<sagaId>/<step>/compensate`), the step's output, and the cause.
 */
export interface CompensationContext<TInput, TOutputs, TOutput> extends StepContext<TInput, TOutputs> {
  /** This step's output; undefined when the step failed partially (it never returned one). */
  output: TOutput | undefined;
  /** Why the saga is compensating: 'permanent', 'partial', 'exhausted' or 'cancel'. */
  cause: string;
}
