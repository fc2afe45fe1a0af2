/** What step actions and compensations receive. */

/** A structured logger (pino's shape): fields first, then the message. */
export interface StepLogger {
  debug(fields: Record<string, unknown>, message?: string): void;
  info(fields: Record<string, unknown>, message?: string): void;
  warn(fields: Record<string, unknown>, message?: string): void;
  error(fields: Record<string, unknown>, message?: string): void;
}

export interface StepContext<TInput, TOutputs> {
  sagaId: string;
  saga: string;
  step: string;
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
  log: StepLogger;
}

export interface CompensationContext<TInput, TOutputs, TOutput> extends StepContext<TInput, TOutputs> {
  /** This step's output; undefined when the step failed partially (it never returned one). */
  output: TOutput | undefined;
  /** Why the saga is compensating: 'permanent', 'partial', 'exhausted' or 'cancel'. */
  cause: string;
}
