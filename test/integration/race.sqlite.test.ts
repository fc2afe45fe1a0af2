/**
 * Issue 4, the race: 100 sagas are started by a client (runSagas: false) before any worker
 * runs; then two `sagaflow worker` processes start at once on the same SQLite file, both see
 * every saga and race for each of them. Appends at the expected revision must let exactly one
 * of them record each outcome. The in-process version is test/unit/runtime/workers.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runChaos } from '../support/chaosRun.js';
import { chaosSeed } from '../support/chaosWorkload.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-race-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('race: two worker processes on one SQLite file', () => {
  it('both race for the same 100 sagas: every saga completes, each step succeeds exactly once, no attempt has two outcomes', async () => {
    const { problems, fleet, figures, streams } = await runChaos({
      label: 'race-sqlite',
      storeUrl: `sqlite:${join(dir, 'events.db')}`,
      participantsUrl: `sqlite:${join(dir, 'participants.db')}`,
      workers: 2,
      killEveryMs: null,
      startBeforeWorkers: true,
      concurrency: 16,
      logLevel: 'info',
      timeoutMs: 60_000,
      // No faults: every saga must complete; the participants' latency keeps both workers busy.
      workload: { seed: chaosSeed(), count: 100, transientRate: 0, permanentRate: 0, latencyMs: 200 },
    });
    expect(problems.slice(0, 40), `${problems.length} problem(s); worker logs in ${fleet.logDir}`).toEqual([]);
    expect(figures.completed, 'sagas completed').toBe(100);
    // Exactly one StepSucceeded per step of every saga (checkStreams already proved "at most").
    for (const [sagaId, events] of streams) {
      const succeeded = events.filter((e) => e.type === 'StepSucceeded').map((e) => (e.data as { step: string }).step);
      expect(succeeded, `saga ${sagaId}: steps succeeded`).toEqual(
        events[0]?.data && (events[0].data as { saga: string }).saga === 'chaos-transfer' ? ['debit', 'credit'] : ['reserve', 'charge', 'ship'],
      );
    }
    // The race happened: losers of an append at the expected revision reloaded (fencing).
    const conflicts = fleet.allLogLines().filter((line) => line.includes('stream moved under us')).length;
    console.log(`[race-sqlite] ${conflicts} appends lost the race and reloaded; attempts by worker: ${JSON.stringify(figures.intentsByWorker)}`);
    // Both processes really took part.
    expect(Object.keys(figures.intentsByWorker).sort(), 'workers that ran attempts').toEqual(['w0.0', 'w1.0']);
    rmSync(fleet.logDir, { recursive: true, force: true });
  }, 90_000);
});
