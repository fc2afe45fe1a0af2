/** The pino adapter of the logger port. The only importer of pino. */
import { pino } from 'pino';
import type { LoggerOptions } from 'pino';
import type { Logger } from './logger.js';

/**
 * A pino logger for the engine. Level from `options.level`, else `SAGAFLOW_LOG_LEVEL`, else 'info'.
 * Logs are JSON lines on stdout; pipe them through `pino-pretty` to read them.
 */
export function createPinoLogger(options: LoggerOptions = {}, destination?: NodeJS.WritableStream): Logger {
  const level = options.level ?? process.env['SAGAFLOW_LOG_LEVEL'] ?? 'info';
  const logger = destination ? pino({ ...options, level }, destination as never) : pino({ ...options, level });
  return logger as unknown as Logger;
}
