/** The pino adapter of the logger port. The only importer of pino. */
import { pino } from 'pino';
import type { LoggerOptions } from 'pino';
import type { Logger } from './logger.js';

/**
 * Paths pino censors in every line even when nothing else is configured: sagaflow never logs a
 * saga's input or a step's output, and these keep a step's own `ctx.log.info({ input })` from
 * doing so either.
 */
export const DEFAULT_REDACT_PATHS: readonly string[] = ['input', 'output', 'outputs', '*.input', '*.output', '*.outputs'];

/** What stands in for a censored value. */
export const REDACTED = '[Redacted]';

/** Options of {@link createPinoLogger}: pino's, whose `redact` paths are added to {@link DEFAULT_REDACT_PATHS}. */
export type PinoLoggerOptions = LoggerOptions;

function redactOption(options: LoggerOptions): NonNullable<LoggerOptions['redact']> {
  const configured =
    options.redact ??
    (process.env['SAGAFLOW_LOG_REDACT'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
  const given = Array.isArray(configured) ? { paths: configured } : configured;
  return { censor: REDACTED, ...given, paths: [...new Set([...DEFAULT_REDACT_PATHS, ...given.paths])] };
}

/**
 * A pino logger for the engine. Level from `options.level`, else `SAGAFLOW_LOG_LEVEL`, else 'info'.
 * `options.redact` (pino's paths, e.g. `['err.message']` where error messages may carry card
 * numbers), else `SAGAFLOW_LOG_REDACT` (comma-separated paths), is censored on top of
 * {@link DEFAULT_REDACT_PATHS}. Logs are JSON lines on stdout; pipe them through `pino-pretty` to read them.
 */
export function createPinoLogger(options: PinoLoggerOptions = {}, destination?: NodeJS.WritableStream): Logger {
  const level = options.level ?? process.env['SAGAFLOW_LOG_LEVEL'] ?? 'info';
  const settings = { ...options, level, redact: redactOption(options) };
  const logger = destination ? pino(settings, destination as never) : pino(settings);
  return logger as unknown as Logger;
}
