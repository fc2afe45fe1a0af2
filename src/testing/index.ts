/** Test kit (no test-runner import: usable under any runner). The vitest store contract is `sagaflow/testing/contract`. */
/** Test kit for sagaflow users and adapters: virtual clock, scenarios, store contract. */
export * from './virtualClock.js';
export * from './scenario.js';
export * from './scenarioArbitraries.js';
export * from './scenarioRunner.js';
export * from './sagaSpec.js';
export { startEsdbProtocolServer, startEsdbProtocolCluster, type EsdbProtocolServer, type EsdbProtocolServerOptions } from './esdbProtocolServer.js';
export { killEngine } from './killEngine.js';
