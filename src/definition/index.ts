export * from './defineSaga.js';
export * from './stepContext.js';
