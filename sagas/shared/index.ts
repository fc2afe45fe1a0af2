export * from './participantError.js';
export * from './faultInjector.js';
export * from './idempotencyLog.js';
export * from './participant.js';
export * from './sagaOptions.js';
