/**
 * Opening a SQLite event-store file: pragmas and schema. Several processes may open the same
 * file at once (workers), so everything here is safe to run concurrently.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StoreNotFoundError, StoreUnavailableError } from '../../core/errors.js';

/**
 * The schema version this code writes, kept in `PRAGMA user_version`.
 * 1: events. 2: + the open-stream index (open_streams, meta), see openStreamIndex.ts.
 */
const SCHEMA_VERSION = 2;

/**
 * How long a statement waits for another connection's write lock before failing with
 * SQLITE_BUSY (reported as StoreUnavailableError, which the runtime retries). A commit holds the
 * lock for about a millisecond (a few tens for the largest group commit, 1,000 appends), so
 * 5 s only runs out when a process is stuck.
 */
export const BUSY_TIMEOUT_MS = 5_000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position    INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id   TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    event_id    TEXT    NOT NULL UNIQUE,
    type        TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    metadata    TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL,
    UNIQUE (stream_id, revision)
  );
  -- Streams an append's planner opened and no later append closed (openStreamIndex.ts).
  CREATE TABLE IF NOT EXISTS open_streams (
    stream_id TEXT    PRIMARY KEY,
    opened_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS open_streams_by_opened_at ON open_streams (opened_at);
  CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
`;

/**
 * Opens (creating if needed) the file and its parent directories, and prepares it:
 * - WAL: readers (pollers in any process) never block the writer, nor it them.
 * - synchronous=FULL: the WAL is fsynced at every commit, so an acknowledged append survives
 *   a power loss, not only a process crash; that is what RPO 0 promises. NORMAL would be ~7x
 *   faster per commit but may lose the last commits on power loss. Measured on ext4: FULL
 *   costs about 0.2 ms per commit, and group commit (sqliteGroupCommit.ts) shares one commit
 *   among the appends of an event-loop turn, so FULL it is.
 * - busy_timeout: several processes share the file; a writer waits for the lock instead of
 *   failing at once.
 * Positions come from AUTOINCREMENT, so they are never reused, and since SQLite has one
 * writer at a time, a position becomes visible only after every lower one: no gaps for readers.
 */
export function openSqliteDatabase(path: string): Database.Database {
  const file = path === ':memory:' ? path : resolve(path);
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    try {
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db);
      return db;
    } catch (error) {
      db.close();
      throw error;
    }
  } catch (error) {
    const busy = (error as { code?: string }).code === 'SQLITE_BUSY';
    const why = busy
      ? `another process holds the write lock of the file, and it was not released within the busy timeout (${BUSY_TIMEOUT_MS} ms). Find the process (e.g. fuser ${file}) or try again once it is done`
      : (error as Error).message;
    throw new StoreUnavailableError(`Cannot open the SQLite event store at ${file}: ${why}.`, {
      cause: error,
      details: { path: file },
    });
  }
}

/**
 * Opens an existing store file for reading only (an auditor's copy, a read-only mount): never
 * creates the file or its directories, never migrates, never switches the journal mode.
 *
 * @throws {@link StoreNotFoundError} (`STORE_NOT_FOUND`) when the file does not exist or holds no sagaflow store.
 * @throws {@link StoreUnavailableError} (`STORE_UNAVAILABLE`) when it cannot be read, or has a schema this version cannot read.
 */
export function openSqliteDatabaseReadOnly(path: string): Database.Database {
  const file = resolve(path);
  if (!existsSync(file)) {
    throw new StoreNotFoundError(`No SQLite event store at ${file}: the file does not exist (nothing was created). Check the path.`, {
      details: { path: file },
    });
  }
  let db: Database.Database;
  let version: number;
  try {
    [db, version] = openReadOnly(file, file);
  } catch (error) {
    // A WAL file in a directory we cannot write (a read-only mount, a chmod -w backup): SQLite
    // cannot create the shared-memory file it reads through. Read a private copy instead.
    const code = (error as { code?: unknown }).code;
    if (code !== 'SQLITE_READONLY_DIRECTORY' && code !== 'SQLITE_CANTOPEN' && code !== 'SQLITE_READONLY_CANTINIT') throw unreadable(file, error);
    try {
      [db, version] = openPrivateCopy(file);
    } catch (again) {
      throw unreadable(file, again);
    }
  }
  if (version !== SCHEMA_VERSION) {
    db.close();
    if (version === 0)
      throw new StoreNotFoundError(`${file} holds no sagaflow event store (an empty or foreign SQLite file). Check the path.`, { details: { path: file } });
    throw new StoreUnavailableError(
      `${file} has schema version ${version}; reading it needs version ${SCHEMA_VERSION}. ${version < SCHEMA_VERSION ? 'Open it once with a writer (sagaflow worker) to migrate it, or upgrade a copy.' : 'Upgrade sagaflow.'}`,
      { details: { path: file, version } },
    );
  }
  return db;
}

function unreadable(file: string, error: unknown): unknown {
  if (error instanceof StoreNotFoundError || error instanceof StoreUnavailableError) return error;
  return new StoreUnavailableError(`Cannot read the SQLite event store at ${file}: ${(error as Error).message}.`, { cause: error, details: { path: file } });
}

/** Opens `path` read-only and reads its schema version (the first read, which needs the WAL index). */
function openReadOnly(path: string, shown: string): [Database.Database, number] {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new StoreUnavailableError(`Cannot open the SQLite event store at ${shown} for reading: ${(error as Error).message}.`, {
      cause: error,
      details: { path: shown },
    });
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    return [db, db.pragma('user_version', { simple: true }) as number];
  } catch (error) {
    db.close();
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && /^SQLITE_(READONLY|CANTOPEN)/.test(code)) throw error;
    throw new StoreNotFoundError(`${shown} is not a SQLite event store: ${(error as Error).message}.`, { cause: error, details: { path: shown } });
  }
}

/** A copy of the file (and its WAL) in a private temporary directory, removed when the database closes. */
function openPrivateCopy(file: string): [Database.Database, number] {
  const dir = mkdtempSync(join(tmpdir(), 'sagaflow-readonly-'));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const copy = join(dir, basename(file));
    copyFileSync(file, copy);
    if (existsSync(`${file}-wal`) && statSync(`${file}-wal`).size > 0) copyFileSync(`${file}-wal`, `${copy}-wal`);
    const [db, version] = openReadOnly(copy, file);
    const close = db.close.bind(db);
    db.close = () => {
      close();
      remove();
      return db;
    };
    return [db, version];
  } catch (error) {
    remove();
    throw error;
  }
}

function migrate(db: Database.Database): void {
  // A store already at this version needs no write: open it without the write lock, so that a
  // process holding it (a long write, a backup) does not keep readers and workers from starting.
  if ((db.pragma('user_version', { simple: true }) as number) === SCHEMA_VERSION) return;
  // IMMEDIATE takes the write lock first, so two processes opening a new file do not race.
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`the file has schema version ${version}; this sagaflow understands up to ${SCHEMA_VERSION}. Upgrade sagaflow.`);
    }
    db.exec(SCHEMA);
    // A file with history from before the index must be scanned once (and adopted) to be complete.
    const empty = db.prepare('SELECT NOT EXISTS (SELECT 1 FROM events)').pluck().get() === 1;
    db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('open_streams_complete', ?)`).run(empty ? '1' : '0');
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
