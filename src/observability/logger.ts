/**
 * The logger port: pino's shape, so a pino logger is one as it is. The runtime logs through
 * this port only; `createPinoLogger` is the adapter.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message?: string): void;
  info(fields: Record<string, unknown>, message?: string): void;
  warn(fields: Record<string, unknown>, message?: string): void;
  error(fields: Record<string, unknown>, message?: string): void;
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
  sagaId: 'sagaId',
  saga: 'saga',
  step: 'step',
  attempt: 'attempt',
  phase: 'phase',
  worker: 'worker',
  event: 'event',
  revision: 'revision',
  delayMs: 'delayMs',
  durationMs: 'durationMs',
  err: 'err',
} as const;

const noop = (): void => {};

/** Discards everything: the default when an engine is given no logger. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => silentLogger, isLevelEnabled: () => false };
