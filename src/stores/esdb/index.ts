/**
 * `sagaflow/esdb`: the EventStoreDB / KurrentDB event store. The only module that loads
 * `@eventstore/db-client` or `@kurrent/kurrentdb-client` (one of them, when a store is
 * created); importing the package root never does.
 *
 * @module sagaflow/esdb
 */
export { createEsdbEventStore, type EsdbEventStoreOptions } from './esdbEventStore.js';
export type { ReconnectOptions } from './esdbSubscription.js';
export type { EsdbClientName } from './clientApi.js';
