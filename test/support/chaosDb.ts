/**
 * The participants' own database for the fault tests, behind one tiny SQL seam so the same
 * participant code runs on PostgreSQL (a `pg` pool) and on a SQLite file (better-sqlite3, WAL,
 * busy_timeout). SQL is written with `?` placeholders and plain table names: PostgreSQL gets
 * `$n` placeholders and a search_path on the `chaos` schema.
 */
import Database from 'better-sqlite3';
import pg from 'pg';

export type Row = Record<string, unknown>;
export type Query = (text: string, params?: unknown[]) => Promise<Row[]>;

export interface ChaosDb {
  readonly kind: 'postgres' | 'sqlite';
  /** One statement in its own transaction. */
  query: Query;
  /** `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  tx<T>(fn: (q: Query) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const TABLES = ['balances', 'applied', 'movements', 'presentations'] as const;

function schema(seq: string, big: string): string {
  return `
    CREATE TABLE IF NOT EXISTS balances (account TEXT PRIMARY KEY, balance ${big} NOT NULL, closed INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE IF NOT EXISTS applied (seq ${seq}, key TEXT NOT NULL UNIQUE, saga_id TEXT NOT NULL, op TEXT NOT NULL,
      outcome TEXT NOT NULL, result TEXT, attempt INTEGER NOT NULL, pid INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS movements (seq ${seq}, key TEXT NOT NULL, saga_id TEXT NOT NULL, account TEXT NOT NULL, delta ${big} NOT NULL);
    CREATE TABLE IF NOT EXISTS presentations (seq ${seq}, key TEXT NOT NULL, attempt INTEGER NOT NULL, pid INTEGER NOT NULL);`;
}

function postgresDb(url: string): ChaosDb {
  const pool = new pg.Pool({ connectionString: url, max: 6, connectionTimeoutMillis: 5_000, options: '-c search_path=chaos' });
  // An idle client whose server went away (the outage test) must not crash the worker.
  pool.on('error', () => undefined);
  const numbered = (text: string): string => {
    let n = 0;
    return text.replace(/\?/g, () => `$${++n}`);
  };
  const rows = async (client: pg.Pool | pg.PoolClient, text: string, params: unknown[] = []): Promise<Row[]> =>
    (await client.query(numbered(text), params)).rows as Row[];
  return {
    kind: 'postgres',
    query: (text, params) => rows(pool, text, params),
    async tx(fn) {
      const client = await pool.connect();
      const ignore = (): void => undefined;
      client.on('error', ignore);
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn((text, params) => rows(client, text, params));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((e: unknown) => (broken = e instanceof Error ? e : new Error(String(e))));
        throw error;
      } finally {
        client.off('error', ignore);
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

function sqliteDb(path: string): ChaosDb {
  const db = new Database(path);
  db.pragma('busy_timeout = 20000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const run = (text: string, params: unknown[] = []): Row[] => {
    const statement = db.prepare(text);
    if (statement.reader) return statement.all(...params) as Row[];
    statement.run(...params);
    return [];
  };
  // One connection per process: everything on it is serialised, so a statement of one saga
  // never lands inside another saga's open transaction. BEGIN IMMEDIATE takes the file's
  // write lock up front (waiting up to busy_timeout for other processes).
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn);
    chain = next.catch(() => undefined);
    return next;
  };
  return {
    kind: 'sqlite',
    query: (text, params) => serial(async () => run(text, params)),
    tx: (fn) =>
      serial(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(async (text, params) => run(text, params));
          db.exec('COMMIT');
          return result;
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        }
      }),
    close: async () => {
      await chain;
      db.close();
    },
  };
}

/** Opens the participants' database a URL names: `postgres://…` or `sqlite:<path>`. */
export function openChaosDb(url: string): ChaosDb {
  if (url.startsWith('sqlite:')) return sqliteDb(url.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(url)) return postgresDb(url);
  throw new Error(`CHAOS_PARTICIPANTS must be postgres://… or sqlite:<path>, got ${url}`);
}

/** Creates the participants' tables (empty) and opens the accounts with their balances. */
export async function createChaosTables(url: string, accounts: Record<string, number>, closed: readonly string[]): Promise<void> {
  const db = openChaosDb(url);
  try {
    if (db.kind === 'postgres') {
      await db.query('CREATE SCHEMA IF NOT EXISTS chaos');
      for (const ddl of schema('BIGSERIAL PRIMARY KEY', 'BIGINT')
        .split(';')
        .filter((s) => s.trim()))
        await db.query(ddl);
    } else {
      for (const ddl of schema('INTEGER PRIMARY KEY AUTOINCREMENT', 'INTEGER')
        .split(';')
        .filter((s) => s.trim()))
        await db.query(ddl);
    }
    for (const table of TABLES) await db.query(`DELETE FROM ${table}`);
    await db.tx(async (q) => {
      for (const [account, balance] of Object.entries(accounts)) {
        await q('INSERT INTO balances (account, balance, closed) VALUES (?, ?, ?)', [account, balance, closed.includes(account) ? 1 : 0]);
      }
    });
  } finally {
    await db.close();
  }
}
