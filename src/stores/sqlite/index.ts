/** The SQLite store: the embedded durable default, one file shareable by several processes. */
export { createSqliteEventStore, type SqliteEventStore, type SqliteEventStoreOptions } from './sqliteEventStore.js';
