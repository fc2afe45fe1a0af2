/**
 * `sagaflow/postgres`: the PostgreSQL event store. The only module that imports `pg`.
 *
 * @example
 * const store = await createPostgresEventStore({ connectionString: process.env.DATABASE_URL! });
 * console.log(postgresMigrationSql()); // the schema, for a DBA to review or apply by hand
 *
 * @module sagaflow/postgres
 */
export { createPostgresEventStore, type PostgresEventStore, type PostgresEventStoreOptions, type PostgresOpenStreamIndex } from './postgresEventStore.js';
export { postgresMigrationSql, DEFAULT_SCHEMA as DEFAULT_POSTGRES_SCHEMA } from './migration.js';
