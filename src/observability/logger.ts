/**
 * The logger port: pino's shape, so a pino logger is one as it is. The runtime logs through
 * this port only; `createPinoLogger` is the adapter.
 */
export interface Logger {
  /** Writes a debug line with `fields` (per-step lines are debug). */
  debug(fields: Record<string, unknown>, message?: string): void;
  /** Writes an info line with `fields`. */
  info(fields: Record<string, unknown>, message?: string): void;
  /** Writes a warning with `fields`. */
  warn(fields: Record<string, unknown>, message?: string): void;
  /** Writes an error line with `fields`. */
  error(fields: Record<string, unknown>, message?: string): void;
  /** A logger that adds `bindings` to every line. */
  child(bindings: Record<string, unknown>): Logger;
  /** pino's level check; loggers without it are asked for every line. */
  isLevelEnabled?(level: 'debug' | 'info' | 'warn' | 'error'): boolean;
}

/**
 * `parent.child(bindings)`, made only when a line is actually written: a child per saga and per
 * attempt costs more than the attempt itself when nothing is logged (the default level logs
 * nothing per step).
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  return new LazyChildLogger(parent, bindings);
}

type Level = 'debug' | 'info' | 'warn' | 'error';

class LazyChildLogger implements Logger {
  private made: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Record<string, unknown>,
  ) {}

  private write(level: Level, fields: Record<string, unknown>, message?: string): void {
    if (this.parent.isLevelEnabled?.(level) === false) return;
    this.made ??= this.parent.child(this.bindings);
    this.made[level](fields, message);
  }

  debug(fields: Record<string, unknown>, message?: string): void {
    this.write('debug', fields, message);
  }
  info(fields: Record<string, unknown>, message?: string): void {
    this.write('info', fields, message);
  }
  warn(fields: Record<string, unknown>, message?: string): void {
    this.write('warn', fields, message);
  }
  error(fields: Record<string, unknown>, message?: string): void {
    this.write('error', fields, message);
  }
  child(more: Record<string, unknown>): Logger {
    return new LazyChildLogger(this.parent, Object.assign({}, this.bindings, more));
  }
  isLevelEnabled(level: Level): boolean {
    return this.parent.isLevelEnabled?.(level) ?? true;
  }
}

/** Attribute names every log line and trace uses, so dashboards can rely on them. */
export const LogFields = {
  /** The saga's id. */
  sagaId: 'sagaId',
  /** The saga definition's name. */
  saga: 'saga',
  /** The step's name. */
  step: 'step',
  /** The attempt's number, 1 for the first. */
  attempt: 'attempt',
  /** `step` (the action) or `compensation`. */
  phase: 'phase',
  /** The worker's id (`EngineOptions.workerId`). */
  worker: 'worker',
  /** An event type. */
  event: 'event',
  /** A stream revision. */
  revision: 'revision',
  /** A delay before a retry, in ms. */
  delayMs: 'delayMs',
  /** How long something took, in ms. */
  durationMs: 'durationMs',
  /** An error, as {@link ErrorInfo}. */
  err: 'err',
} as const;

const noop = (): void => {};

/** Discards everything: the default when an engine is given no logger. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => silentLogger, isLevelEnabled: () => false };
