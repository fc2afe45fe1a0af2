/**
 * The key of the engine's crash simulation. Deliberately not exported from the package root:
 * simulating a crash is a test tool (`killEngine` in `sagaflow/testing`), not an API.
 */
export const killEngineNow: unique symbol = Symbol('sagaflow.killEngine');
