/** Test kit for sagaflow users and adapters: virtual clock, scenarios, store contract. */
export * from './virtualClock.js';
export * from './scenario.js';
export * from './scenarioArbitraries.js';
export * from './scenarioRunner.js';
export * from './sagaSpec.js';
export * from './eventStoreContract.js';
export { startEsdbProtocolServer, type EsdbProtocolServer, type EsdbProtocolServerOptions } from './esdbProtocolServer.js';
