/**
 * Worker liveness: an optional capability of a store. One record per worker, renewed once per
 * period for all of that worker's attempts, instead of a LeaseExtended event per attempt in
 * each saga's stream (which flooded the audit trail). Where the store can see a process die
 * (SQLite: the worker's PID on this host; PostgreSQL: the worker's session), it reports the
 * death at once, so an attempt is taken over in milliseconds instead of after its lease; a
 * worker that hangs without dying stops renewing and is caught when its record expires.
 *
 * The store knows nothing of sagas or attempts: it keeps "worker W is alive until T" and
 * watches processes. Fencing stays the expected revision of the saga's stream.
 */

/** The capability, on stores that have it (`store.workerLiveness`). Times are ms since the epoch. */
export interface WorkerLiveness {
  /**
   * Records `workerId` (this process) alive until `aliveUntil`. The first call registers it:
   * the record then also names this process (PID and host; on PostgreSQL its session), so
   * that its death is seen before `aliveUntil`.
   */
  renew(workerId: string, aliveUntil: number): Promise<void>;
  /**
   * Until when `workerId` is known alive: its last `aliveUntil`, 0 when its process is known
   * gone (or it released its record), undefined when the store has no record of it.
   */
  aliveUntil(workerId: string): Promise<number | undefined>;
  /**
   * Calls `onDead` once, as soon as the store sees that `workerId`'s process is gone or its
   * record expired by `now` (the clock the records are written with: the engine's; default
   * the system clock). Returns the function that stops watching.
   */
  watch(workerId: string, onDead: () => void, now?: () => number): () => void;
  /** This process's worker stops (a graceful close): its record says dead from now on. */
  release(workerId: string): Promise<void>;
}
