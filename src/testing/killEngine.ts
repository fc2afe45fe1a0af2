/** Crash simulation for tests of recovery: the engine stops as if its process died. */
import type { Engine } from '../runtime/engine.js';
import { killEngineNow } from '../runtime/killSwitch.js';

/**
 * Stops the engine at once, as a crash would: running attempts are abandoned (their leases
 * run out and another engine takes them over), nothing more is appended, nothing is awaited.
 * The store stays open. For a real crash, SIGKILL a worker process.
 */
export function killEngine(engine: Engine): void {
  engine[killEngineNow]();
}
