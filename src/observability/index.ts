export * from './logger.js';
export * from './pinoLogger.js';
export * from './telemetry.js';
