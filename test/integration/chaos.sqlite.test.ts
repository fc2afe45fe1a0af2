/**
 * Issue 4, chaos on SQLite: the same run as chaos.postgres.test.ts on one SQLite event-store
 * file shared by 3 worker processes, with the participants' books in a second SQLite file
 * (WAL, busy_timeout). One worker is SIGKILLed every ~300 ms and replaced.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runChaos } from '../support/chaosRun.js';
import { chaosSeed } from '../support/chaosWorkload.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-chaos-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('chaos: workers that fail over (SQLite)', () => {
  it('500 sagas, 3 workers on one file, a random worker SIGKILLed every ~300 ms: every saga ends as its faults say, every state valid, every effect applied at most once, money conserved', async () => {
    const { problems, fleet, figures } = await runChaos({
      label: 'chaos-sqlite',
      storeUrl: `sqlite:${join(dir, 'events.db')}`,
      participantsUrl: `sqlite:${join(dir, 'participants.db')}`,
      workers: 3,
      killEveryMs: 300,
      // Some strikes freeze a worker for twice its lease instead: taken over while alive, it must be fenced off.
      freeze: { rate: 0.3, ms: 1_500 },
      // SQLite workers start fast enough to strike even the last ready one (PostgreSQL keeps one up).
      keepUp: 0,
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
