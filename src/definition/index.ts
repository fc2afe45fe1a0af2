export * from './defineSaga.js';
export * from './stepContext.js';
export * from './standardSchema.js';
export * from './waitFor.js';
