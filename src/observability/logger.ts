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
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => silentLogger };
