/**
 * Worker liveness on PostgreSQL (see ../workerLiveness.ts). Each worker holds a session-level
 * advisory lock, keyed by its id, on a connection of its own for as long as it lives, and
 * keeps a row in `<schema>.workers` (alive_until). PostgreSQL releases a session's locks the
 * moment its backend ends, and a dead process's socket closes with it: so a survivor blocked
 * in `pg_advisory_lock(key)` on a connection of its own is granted the lock the instant the
 * worker dies, and a worker is dead when the session its row names (backend_pid) no longer
 * holds the lock.
 * A worker that hangs keeps its session (and lock) but stops renewing: its row expires.
 *
 * The table is created here on first use (`CREATE TABLE IF NOT EXISTS`), not by the shared
 * migration: it holds no history, and a DBA who applies the migration by hand loses nothing
 * (the table is created by the first worker, with the store's own rights).
 *
 * A worker whose lock connection drops while it lives (a network blip, a failover) looks dead
 * until it has locked again: its attempts may then be taken over and re-run, which the
 * expected revision fences and the idempotency key deduplicates, as after any takeover.
 */
import pg from 'pg';
import type { WorkerLiveness } from '../workerLiveness.js';

/** The advisory lock's first key ("Saga" in ASCII); the second is hashtext(worker id). */
const LOCK_CLASS = 0x53616761;
/** How long a watch waits before looking again at a worker that does not hold its lock (yet), in ms. */
const UNLOCKED_RETRY_MS = 500;
/** How long after a record's `alive_until` a watch reads it again, in ms (the renewal's own round trip). */
const EXPIRY_SLACK_MS = 5;
/** The longest a watch waits between two reads of a record, in ms. */
const EXPIRY_RECHECK_MAX_MS = 1_000;
/** How long a lost lock session waits before connecting again, in ms. */
const RELOCK_DELAY_MS = 200;

/** What the store gives: its pool, its quoted schema, and how to open a connection of one's own (to the primary). */
export interface PostgresLivenessDeps {
  pool: pg.Pool;
  /** The quoted schema name. */
  schema: string;
  clientConfig(): Promise<pg.ClientConfig>;
}

/** The PostgreSQL liveness capability, with `close` for the store to end its sessions. */
export interface PostgresWorkerLiveness extends WorkerLiveness {
  /** Ends every lock session and watch (the store is closing). */
  close(): Promise<void>;
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** A connection of its own, whose errors (a dropped socket) end it instead of crashing the process. */
async function connect(deps: PostgresLivenessDeps, onError: () => void): Promise<pg.Client> {
  const client = new pg.Client(await deps.clientConfig());
  client.on('error', onError);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

/** The worker's own session: holds its lock, and takes it again after the connection was lost. */
class LockSession {
  /** True while the lock is held on a live connection. */
  locked = false;
  /** The backend of the connection holding the lock: the row names it, so a reader can tell whether that session still holds it. */
  backendPid: number | null = null;
  private client: pg.Client | undefined;
  private ended = false;
  private connecting: Promise<void> | undefined;

  constructor(
    private readonly deps: PostgresLivenessDeps,
    private readonly workerId: string,
  ) {}

  /** Takes the lock unless held; resolves once it is held, or the attempt failed (the caller's next renewal tries again). */
  ensure(): Promise<void> {
    if (this.locked || this.ended) return Promise.resolve();
    this.connecting ??= this.lock().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async lock(): Promise<void> {
    let client: pg.Client | undefined;
    try {
      client = await connect(this.deps, () => this.lost(client));
      // try, not wait: a previous process of the same id that still holds it must not block us.
      const { rows } = await client.query<{ got: boolean; pid: number }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS got, pg_backend_pid() AS pid', [
        LOCK_CLASS,
        this.workerId,
      ]);
      if (this.ended || !rows[0]?.got) throw new Error('lock not granted');
      this.client = client;
      this.backendPid = rows[0].pid;
      this.locked = true;
    } catch {
      await client?.end().catch(() => undefined);
    }
  }

  private lost(client: pg.Client | undefined): void {
    if (client !== this.client) return;
    this.locked = false;
    this.backendPid = null;
    this.client = undefined;
    void client?.end().catch(() => undefined);
    if (!this.ended) void delay(RELOCK_DELAY_MS).then(() => this.ensure());
  }

  async end(): Promise<void> {
    this.ended = true;
    this.locked = false;
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}

/** One watched worker: a connection blocked in pg_advisory_lock until the worker's session ends. */
class LockWatch {
  readonly callbacks = new Set<() => void>();
  private client: pg.Client | undefined;
  private backendPid: number | undefined;
  private stopped = false;

  constructor(
    private readonly deps: PostgresLivenessDeps,
    private readonly workerId: string,
    private readonly holdsLock: () => Promise<boolean>,
    private readonly aliveUntil: () => Promise<number | undefined>,
    private readonly done: () => void,
    private readonly now: () => number,
  ) {
    void this.run();
    void this.expiry();
  }

  /** The worker is gone (its session ended, its record expired or was released): tell every watcher, once. */
  private dead(): void {
    if (this.stopped) return;
    void this.stop();
    this.done();
    for (const onDead of this.callbacks) onDead();
  }

  /**
   * A worker that hangs keeps its session and its lock: only its record's expiry says it is
   * gone. Looks at the record when it is due to run out (the worker renews it before then, so
   * about one read per lease), and at once for a record released (0).
   */
  private async expiry(): Promise<void> {
    while (!this.stopped) {
      let until: number | undefined;
      try {
        until = await this.aliveUntil();
      } catch {
        until = undefined; // the server went away: look again later
      }
      if (this.stopped) return;
      if (until !== undefined && until <= this.now()) return this.dead();
      // Capped: `now` may be a virtual clock that jumps (tests), so look again at least every second.
      await delay(until === undefined ? UNLOCKED_RETRY_MS : Math.min(Math.max(until - this.now() + EXPIRY_SLACK_MS, EXPIRY_SLACK_MS), EXPIRY_RECHECK_MAX_MS));
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const client = await connect(this.deps, () => undefined);
        this.client = client;
        this.backendPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
        if (this.stopped) break;
        // Granted the moment the worker's backend ends; released at once, so other watchers get it too.
        await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [LOCK_CLASS, this.workerId]);
        await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_CLASS, this.workerId]);
        await this.endClient();
        // A free lock is a death only for a worker that says it holds it (not one still starting).
        if (!this.stopped && (await this.holdsLock())) return this.dead();
      } catch {
        // The server went away, or we were stopped: the lease still bounds the wait.
        await this.endClient();
      }
      if (!this.stopped) await delay(UNLOCKED_RETRY_MS);
    }
    // Stopped while connecting (the loop left with a client nobody ended): end it, or it leaks.
    await this.endClient();
  }

  private async endClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.backendPid = undefined;
    await client?.end().catch(() => undefined);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // A backend waiting for a lock does not notice its client leave: cancel the wait first.
    const pid = this.backendPid;
    if (pid !== undefined) await this.deps.pool.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
    await this.endClient();
  }
}

export function createPostgresWorkerLiveness(deps: PostgresLivenessDeps): PostgresWorkerLiveness {
  const table = `${deps.schema}.workers`;
  let created: Promise<void> | undefined;
  const ensureTable = (): Promise<void> => {
    created ??= deps.pool
      .query(
        `CREATE TABLE IF NOT EXISTS ${table} (worker_id text PRIMARY KEY, alive_until bigint NOT NULL, holds_lock boolean NOT NULL, backend_pid integer, renewed_at timestamptz NOT NULL DEFAULT now())`,
      )
      .then(
        () => undefined,
        (error: { code?: string }) => {
          // Two processes creating it at once: one of them gets a unique violation on the catalog.
          if (error.code === '23505' || error.code === '42P07') return;
          created = undefined;
          throw error;
        },
      );
    return created;
  };
  const sessions = new Map<string, LockSession>();
  const watches = new Map<string, LockWatch>();
  const holdsLock = async (workerId: string): Promise<boolean> => {
    const { rows } = await deps.pool.query<{ holds_lock: boolean }>(`SELECT holds_lock FROM ${table} WHERE worker_id = $1`, [workerId]);
    return rows[0]?.holds_lock === true;
  };

  const liveness: PostgresWorkerLiveness = {
    async renew(workerId, aliveUntil) {
      await ensureTable();
      let session = sessions.get(workerId);
      if (!session) {
        session = new LockSession(deps, workerId);
        sessions.set(workerId, session);
      }
      // The lock first: the row says it holds the lock only once it does.
      await session.ensure();
      await deps.pool.query(
        `INSERT INTO ${table} (worker_id, alive_until, holds_lock, backend_pid) VALUES ($1, $2, $3, $4)
         ON CONFLICT (worker_id) DO UPDATE SET alive_until = excluded.alive_until, holds_lock = excluded.holds_lock, backend_pid = excluded.backend_pid, renewed_at = now()`,
        [workerId, Math.floor(aliveUntil), session.locked, session.backendPid],
      );
    },

    async aliveUntil(workerId) {
      await ensureTable();
      // Dead: the session the row names no longer holds the lock. Asked of pg_locks, not by
      // trying the lock, which a watcher of another process may hold for an instant.
      const { rows } = await deps.pool.query<{ alive_until: string; dead: boolean | null }>(
        `SELECT w.alive_until, w.holds_lock AND NOT EXISTS (
             SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.pid = w.backend_pid AND l.classid = $2::oid AND l.objsubid = 2 AND l.granted) AS dead
           FROM ${table} w WHERE w.worker_id = $1`,
        [workerId, LOCK_CLASS],
      );
      const row = rows[0];
      if (!row) return undefined;
      return row.dead === true ? 0 : Number(row.alive_until);
    },

    watch(workerId, onDead, now = Date.now) {
      let watch = watches.get(workerId);
      if (!watch) {
        // One watch per worker: the first watcher's clock judges (one engine per store object, as a rule).
        watch = new LockWatch(
          deps,
          workerId,
          () => holdsLock(workerId),
          () => liveness.aliveUntil(workerId),
          () => watches.delete(workerId),
          now,
        );
        watches.set(workerId, watch);
      }
      const callback = (): void => onDead();
      watch.callbacks.add(callback);
      const mine = watch;
      return () => {
        mine.callbacks.delete(callback);
        if (mine.callbacks.size > 0 || watches.get(workerId) !== mine) return;
        watches.delete(workerId);
        void mine.stop();
      };
    },

    async release(workerId) {
      const session = sessions.get(workerId);
      sessions.delete(workerId);
      await ensureTable();
      await deps.pool.query(`UPDATE ${table} SET alive_until = 0, holds_lock = false, backend_pid = NULL, renewed_at = now() WHERE worker_id = $1`, [workerId]);
      await session?.end();
    },

    async close() {
      const all = [...watches.values()];
      watches.clear();
      await Promise.all(all.map((w) => w.stop()));
      const mine = [...sessions.values()];
      sessions.clear();
      await Promise.all(mine.map((s) => s.end()));
    },
  };
  return liveness;
}
