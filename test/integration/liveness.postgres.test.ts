/**
 * Worker liveness on PostgreSQL (issue 10): each worker holds a session-level advisory lock; a
 * survivor blocked on it is granted it the instant a SIGKILLed worker's backend ends, and takes
 * the step over before the lease runs out. A long step writes no heartbeat events; a worker
 * that hangs (SIGSTOP, its session alive) is still caught when its record expires.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPostgresEventStore, type PostgresEventStore } from '../../src/stores/postgres/index.js';
import { killDuringStep, longStepOnTwoWorkers } from '../support/livenessRun.js';
import { createTestDatabase, type TestDatabase } from '../support/postgresDatabase.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-liveness-pg-'));
let db: TestDatabase | undefined;
let store: PostgresEventStore;
beforeAll(async () => {
  db = await createTestDatabase(inject('postgresUrl'), 'liveness');
  store = await createPostgresEventStore({ connectionString: db.url });
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('worker liveness on PostgreSQL', () => {
  it('a step far longer than the lease writes no heartbeat events into its saga’s stream, and no other worker takes it over', async () => {
    const other = await createPostgresEventStore({ connectionString: (db as TestDatabase).url });
    try {
      const { result, runs, types } = await longStepOnTwoWorkers(store, other);
      expect(result).toMatchObject({ status: 'completed' });
      expect(runs).toBe(1);
      expect(types).toEqual(['SagaStarted', 'StepStarted', 'StepSucceeded', 'SagaCompleted']);
    } finally {
      await other.close();
    }
  });

  it('SIGKILL of a worker process is detected through its session, without waiting for the lease: the survivor takes the step over before it runs out', async () => {
    const run = await killDuringStep({
      url: (db as TestDatabase).url,
      store,
      hangFile: join(dir, 'kill-hang'),
      leaseMs: 10_000,
      signal: 'SIGKILL',
      tag: 'kill',
    });
    const takeover = run.events.find((e) => e.type === 'StepStarted' && e.data.attempt === 2);
    expect(takeover?.worker).toBe(run.survivorId);
    expect(run.takenOverAt).toBeLessThan(run.firstLeaseUntil);
    expect(run.events.filter((e) => e.type === 'LeaseExtended')).toEqual([]);
  });

  it('a worker that hangs without dying (SIGSTOP: its session and lock stay) is still caught when its liveness record expires', async () => {
    const leaseMs = 400;
    const run = await killDuringStep({ url: (db as TestDatabase).url, store, hangFile: join(dir, 'stop-hang'), leaseMs, signal: 'SIGSTOP', tag: 'stop' });
    const takeover = run.events.find((e) => e.type === 'StepStarted' && e.data.attempt === 2);
    expect(takeover?.worker).toBe(run.survivorId);
    expect(run.takenOverAt).toBeGreaterThan(run.signalledAt);
    expect(run.takenOverAt - run.signalledAt).toBeLessThan(leaseMs + 250);
  });
});
