/** The in-memory reference store: tests and embedding, no durability. */
export { createInMemoryEventStore, type InMemoryEventStoreOptions } from './inMemoryEventStore.js';
