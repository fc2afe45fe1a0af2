export * from './logger.js';
export * from './pinoLogger.js';
