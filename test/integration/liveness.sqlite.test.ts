/**
 * Worker liveness on a SQLite file (issue 10): a long step writes no heartbeat events into its
 * saga's stream, a SIGKILLed worker is taken over as soon as its PID is gone (before its lease
 * runs out), and a worker that hangs without dying is still caught by its record's expiry.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteEventStore } from '../../src/stores/sqlite/index.js';
import { killDuringStep, longStepOnTwoWorkers } from '../support/livenessRun.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-liveness-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('worker liveness on SQLite', () => {
  it('a step far longer than the lease writes no heartbeat events into its saga’s stream, and no other worker takes it over', async () => {
    const path = join(dir, 'long.db');
    const [storeA, storeB] = [createSqliteEventStore({ path }), createSqliteEventStore({ path })];
    try {
      const { result, runs, types } = await longStepOnTwoWorkers(storeA, storeB);
      expect(result).toMatchObject({ status: 'completed' });
      expect(runs).toBe(1);
      // Eight lease periods long, yet only the facts of the saga.
      expect(types).toEqual(['SagaStarted', 'StepStarted', 'StepSucceeded', 'SagaCompleted']);
    } finally {
      await Promise.all([storeA.close(), storeB.close()]);
    }
  });

  it('SIGKILL of a worker process is detected without waiting for the lease: the survivor takes the step over before it runs out', async () => {
    const path = join(dir, 'kill.db');
    const store = createSqliteEventStore({ path });
    try {
      const run = await killDuringStep({ url: `sqlite:${path}`, store, hangFile: join(dir, 'kill-hang'), leaseMs: 10_000, signal: 'SIGKILL', tag: 'kill' });
      const takeover = run.events.find((e) => e.type === 'StepStarted' && e.data.attempt === 2);
      expect(takeover?.worker).toBe(run.survivorId);
      expect(run.takenOverAt).toBeLessThan(run.firstLeaseUntil);
      expect(run.events.filter((e) => e.type === 'LeaseExtended')).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('a worker that hangs without dying (SIGSTOP) is still caught when its liveness record expires', async () => {
    const path = join(dir, 'hang.db');
    const store = createSqliteEventStore({ path });
    const leaseMs = 400;
    try {
      const run = await killDuringStep({
        url: `sqlite:${path}`,
        store,
        hangFile: join(dir, 'stop-hang'),
        leaseMs,
        signal: 'SIGSTOP',
        tag: 'stop',
        writeLockFree: () => writeLockFree(path),
      });
      const takeover = run.events.find((e) => e.type === 'StepStarted' && e.data.attempt === 2);
      expect(takeover?.worker).toBe(run.survivorId);
      // Its process lives, so only the record's expiry (the last renewal + the lease) let it go.
      expect(run.takenOverAt).toBeGreaterThan(run.signalledAt);
      expect(run.takenOverAt - run.signalledAt).toBeLessThan(leaseMs + 250);
    } finally {
      await store.close();
    }
  });
});

/** Takes and gives back the file's write lock without waiting: false when another connection holds it. */
function writeLockFree(path: string): boolean {
  const db = new Database(path, { timeout: 0 });
  try {
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
    return true;
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) return false;
    throw error;
  } finally {
    db.close();
  }
}
