/**
 * A fresh DATABASE on a PostgreSQL server, for tests whose processes open the store by URL
 * (`createStore(url)` always uses the schema 'sagaflow', so isolation must be per database).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  /** The server URL with this database as its path. */
  url: string;
  name: string;
  /** Drops the database, disconnecting whoever is still connected. */
  drop(): Promise<void>;
}

async function onServer<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates `<label>_<random>` on the server `serverUrl` names. */
export async function createTestDatabase(serverUrl: string, label: string): Promise<TestDatabase> {
  const name = `${label}_${randomBytes(5).toString('hex')}`.toLowerCase();
  await onServer(serverUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => onServer(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
