/**
 * Worker liveness on a SQLite file (see workerLiveness.ts): a `workers` row per worker with
 * its PID, host and `alive_until`. A SQLite file is shared by processes of one host, so a
 * process's death is visible at once: `process.kill(pid, 0)` fails with ESRCH. Watches poll
 * every few milliseconds (one timer for all of them); a worker on another host, or one that
 * hangs, is caught when its `alive_until` passes.
 *
 * The table is created on first use (`CREATE TABLE IF NOT EXISTS`), not by the schema
 * migration: it holds no history, and an older sagaflow opening the file ignores it.
 */
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import type { WorkerLiveness } from '../workerLiveness.js';

/** How often watches look at the workers they watch, in ms: the bound on detecting a death. */
export const WATCH_INTERVAL_MS = 10;

const WORKERS_TABLE = `
  CREATE TABLE IF NOT EXISTS workers (
    worker_id   TEXT    PRIMARY KEY,
    pid         INTEGER NOT NULL,
    hostname    TEXT    NOT NULL,
    alive_until INTEGER NOT NULL
  ) WITHOUT ROWID
`;

interface WorkerRow {
  pid: number;
  hostname: string;
  alive_until: number;
}

/**
 * Where a PID means this process: the host name and, on Linux, the PID namespace (containers
 * that share a host name and a file but not their PIDs must not judge each other's PIDs).
 */
function pidScope(): string {
  try {
    return `${hostname()}#${readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    return hostname();
  }
}

/** True unless no process has this PID (EPERM: it exists, under another user). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The SQLite store's liveness capability, with `close` for the store to stop its watches. */
export interface SqliteWorkerLiveness extends WorkerLiveness {
  /** Stops every watch (the store is closing). */
  close(): void;
}

/** `db` is the store's connection; `guard` runs a call the way the store does (closed-store and SQLite errors). */
export function createSqliteWorkerLiveness(db: Database.Database, guard: <T>(fn: () => T) => Promise<T>): SqliteWorkerLiveness {
  const host = pidScope();
  let statements: { upsert: Database.Statement; release: Database.Statement; get: Database.Statement } | undefined;
  /** Prepared on first use, after the table exists: reading the schema needs no write lock. */
  const sql = (): NonNullable<typeof statements> => {
    if (statements) return statements;
    const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'workers'`).pluck().get() === 1;
    if (!exists) db.exec(WORKERS_TABLE);
    statements = {
      upsert: db.prepare(
        'INSERT INTO workers (worker_id, pid, hostname, alive_until) VALUES (?, ?, ?, ?) ON CONFLICT (worker_id) DO UPDATE SET pid = excluded.pid, hostname = excluded.hostname, alive_until = excluded.alive_until',
      ),
      release: db.prepare('UPDATE workers SET alive_until = 0 WHERE worker_id = ? AND pid = ? AND hostname = ?'),
      get: db.prepare('SELECT pid, hostname, alive_until FROM workers WHERE worker_id = ?'),
    };
    return statements;
  };
  /** 0 for a worker whose process is gone from this host; else its record's alive_until. */
  const aliveUntilOf = (workerId: string): number | undefined => {
    const row = sql().get.get(workerId) as WorkerRow | undefined;
    if (!row) return undefined;
    if (row.hostname === host && !processExists(row.pid)) return 0;
    return row.alive_until;
  };

  /** Watches by worker: each with its clock (the one records are written with). */
  const watchers = new Map<string, Set<{ onDead: () => void; now: () => number }>>();
  let timer: NodeJS.Timeout | undefined;
  const poll = (): void => {
    if (!db.open) return;
    for (const [workerId, watches] of watchers) {
      let until: number | undefined;
      try {
        until = aliveUntilOf(workerId);
      } catch {
        // The file is busy or failing: look again at the next tick; the lease still bounds the wait.
        continue;
      }
      // No record yet (the worker has not renewed once): keep watching.
      if (until === undefined) continue;
      for (const watch of watches) {
        if (until > watch.now()) continue;
        watches.delete(watch);
        watch.onDead();
      }
      if (watches.size === 0) watchers.delete(workerId);
    }
    if (watchers.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  return {
    renew: (workerId, aliveUntil) => guard(() => void sql().upsert.run(workerId, process.pid, host, Math.floor(aliveUntil))),
    aliveUntil: (workerId) => guard(() => aliveUntilOf(workerId)),
    release: (workerId) => guard(() => void sql().release.run(workerId, process.pid, host)),
    watch(workerId, onDead, now = Date.now) {
      let watches = watchers.get(workerId);
      if (!watches) {
        watches = new Set();
        watchers.set(workerId, watches);
      }
      // An object per watch, so that one stop removes only its own.
      const watch = { onDead: (): void => onDead(), now };
      watches.add(watch);
      if (!timer) {
        timer = setInterval(poll, WATCH_INTERVAL_MS);
        // Watching alone does not keep a process alive.
        timer.unref();
      }
      return () => {
        const set = watchers.get(workerId);
        set?.delete(watch);
        if (set?.size === 0) watchers.delete(workerId);
      };
    },
    close() {
      watchers.clear();
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
