/**
 * sagaflow: sagas and compensation on event sourcing. The root export loads no database
 * driver; stores live under `sagaflow/sqlite`, `sagaflow/postgres`, `sagaflow/esdb`.
 *
 * @module sagaflow
 */
export * from './core/index.js';
export * from './definition/index.js';
export * from './runtime/index.js';
export * from './observability/index.js';
export type {
  EventStore,
  ExpectedRevision,
  NewEvent,
  RecordedEvent,
  AppendResult,
  ReadStreamOptions,
  ReadAllOptions,
  SubscribeToAllOptions,
  Subscription,
  StoreRetry,
  Json,
  ClaimOpenStreamsOptions,
  OpenStreamChange,
  OpenStreamIndex,
  OpenStreamPlanner,
  OpenStreamsPage,
  WorkerLiveness,
} from './stores/eventStore.js';
export { DEFAULT_MAX_EVENT_BYTES, assertValidStreamName } from './stores/eventStore.js';
export { createInMemoryEventStore, type InMemoryEventStoreOptions } from './stores/inMemory/index.js';
export { createStore, redactUrl, SUPPORTED_STORE_URLS, type CreateStoreOptions } from './stores/createStore.js';
