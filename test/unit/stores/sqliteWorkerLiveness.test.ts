/**
 * The SQLite store's worker liveness: a record per worker; a worker whose PID is gone from this
 * host is dead (0) whatever its alive_until says; a watch reports that within milliseconds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteEventStore } from '../../../src/stores/sqlite/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-sqlite-liveness-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The PID of a process that ran and exited (reaped): no process has it now. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('SQLite worker liveness', () => {
  it('records, renews and releases a worker; knows nothing of one that never renewed', async () => {
    const store = createSqliteEventStore({ path: join(dir, 'a.db') });
    const liveness = store.workerLiveness!;
    try {
      expect(await liveness.aliveUntil('w1')).toBeUndefined();
      await liveness.renew('w1', 5_000);
      expect(await liveness.aliveUntil('w1')).toBe(5_000);
      await liveness.renew('w1', 9_000);
      expect(await liveness.aliveUntil('w1')).toBe(9_000);
      await liveness.release('w1');
      expect(await liveness.aliveUntil('w1')).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('a worker whose process is gone from this host is dead at once, and its watch says so within milliseconds', async () => {
    const path = join(dir, 'b.db');
    const store = createSqliteEventStore({ path });
    try {
      await store.workerLiveness!.renew('alive', Date.now() + 60_000);
      // Another process's record: alive until a minute from now, but its PID is gone.
      const db = new Database(path);
      const scope = db.prepare(`SELECT hostname FROM workers WHERE worker_id = 'alive'`).pluck().get();
      db.prepare('INSERT INTO workers (worker_id, pid, hostname, alive_until) VALUES (?, ?, ?, ?)').run('gone', deadPid(), scope, Date.now() + 60_000);
      // The same PID recorded on another host (or PID namespace) is not judged: its record decides.
      db.prepare('INSERT INTO workers (worker_id, pid, hostname, alive_until) VALUES (?, ?, ?, ?)').run('elsewhere', deadPid(), `${hostname()}-other`, 123_456);
      db.close();
      expect(await store.workerLiveness!.aliveUntil('gone')).toBe(0);
      expect(await store.workerLiveness!.aliveUntil('elsewhere')).toBe(123_456);
      expect(await store.workerLiveness!.aliveUntil('alive')).toBeGreaterThan(Date.now());
      const started = Date.now();
      const deaths: string[] = [];
      const stopAlive = store.workerLiveness!.watch('alive', () => deaths.push('alive'));
      await new Promise<void>((resolve) => store.workerLiveness!.watch('gone', () => resolve()));
      expect(Date.now() - started).toBeLessThan(1_000);
      stopAlive();
      expect(deaths).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
