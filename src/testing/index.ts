/**
 * Test kit for sagaflow users and adapters: virtual clock, fault scenarios (fast-check
 * arbitraries: needs `fast-check`), given/when/then, `killEngine`. No test-runner import, so it
 * works under any runner; the vitest store contract is `sagaflow/testing/contract`, and the
 * EventStoreDB protocol server is `sagaflow/testing/esdb` (it loads gRPC, which this entry must not).
 *
 * @module sagaflow/testing
 */
export * from './virtualClock.js';
export * from './scenario.js';
export * from './scenarioArbitraries.js';
export * from './signalScenario.js';
export * from './scenarioRunner.js';
export * from './sagaSpec.js';
export { killEngine } from './killEngine.js';
