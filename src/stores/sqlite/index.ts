/**
 * `sagaflow/sqlite`: the SQLite store, the embedded durable default: one file, shareable by
 * several processes. The only module that loads `better-sqlite3`.
 *
 * @module sagaflow/sqlite
 */
export { createSqliteEventStore, type SqliteEventStore, type SqliteEventStoreOptions } from './sqliteEventStore.js';
