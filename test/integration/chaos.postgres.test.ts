/**
 * Issue 4, chaos on PostgreSQL: 500 seeded sagas (transfers and orders with transient and
 * permanent faults) on 3 real worker processes, one of which is SIGKILLed every ~300 ms and
 * replaced, until every saga is terminal. The participants keep their books in the same
 * database (schema `chaos`). Then every stream and the books are checked (test/support/chaos*.ts).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runChaos } from '../support/chaosRun.js';
import { chaosSeed } from '../support/chaosWorkload.js';
import { createTestDatabase, type TestDatabase } from '../support/postgresDatabase.js';

let db: TestDatabase | undefined;
beforeAll(async () => {
  db = await createTestDatabase(inject('postgresUrl'), 'chaos');
});
afterAll(async () => {
  await db?.drop();
});

describe('chaos: workers that fail over (PostgreSQL)', () => {
  it('500 sagas, 3 workers, a random worker SIGKILLed every ~300 ms: every saga ends as its faults say, every state valid, every effect applied at most once, money conserved', async () => {
    const { url } = db as TestDatabase;
    const { problems, fleet, figures } = await runChaos({
      label: 'chaos-postgres',
      storeUrl: url,
      participantsUrl: url,
      workers: 3,
      killEveryMs: 300,
      // Some strikes freeze a worker for twice its lease instead: taken over while alive, it must be fenced off.
      freeze: { rate: 0.3, ms: 1_500 },
      minKills: 3,
      timeoutMs: 150_000,
      workload: { seed: chaosSeed(), count: 500, transientRate: 0.2, permanentRate: 0.15, latencyMs: 10 },
    });
    expect(problems.slice(0, 40), `${problems.length} problem(s); worker logs in ${fleet.logDir}`).toEqual([]);
    // The run really was chaotic: workers died with attempts in flight, and others took those over.
    expect(figures.kills, 'workers SIGKILLed').toBeGreaterThanOrEqual(3);
    expect(figures.inDoubtReruns, 'lost attempts re-run by another worker').toBeGreaterThan(0);
    rmSync(fleet.logDir, { recursive: true, force: true });
  }, 200_000);
});
