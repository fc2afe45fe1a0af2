/**
 * Issue 4, the outage: two `sagaflow worker` processes run 100 seeded sagas on a PostgreSQL
 * cluster of this test's own (so other test files keep theirs); in the middle of the run the
 * server is stopped for 5 s (fast shutdown: every connection drops) and started again. The
 * participants' books live in the same cluster, so they go down too. Workers must ride it
 * out, back off and say so in their logs, never exit; afterwards every started saga is
 * terminal, nothing is lost or applied twice (the same checks as the chaos tests).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChaos } from '../support/chaosRun.js';
import { chaosSeed } from '../support/chaosWorkload.js';
import { createTestDatabase } from '../support/postgresDatabase.js';
import { destroyPostgresServer, resumePostgresServer, startPostgresServer, stopPostgresServer, type PostgresServerInfo } from '../support/postgresServer.js';

let server: PostgresServerInfo | undefined;
beforeAll(async () => {
  server = await startPostgresServer();
});
afterAll(async () => {
  if (server) await destroyPostgresServer(server);
});

const OUTAGE_MS = 5_000;

describe('outage: the PostgreSQL server stops for 5 s in the middle of a run', () => {
  it('100 sagas on 2 workers: workers back off and log it, none exits; every saga ends as its faults say, nothing lost or applied twice', async () => {
    const cluster = server as PostgresServerInfo;
    const { url } = await createTestDatabase(cluster.url, 'outage');
    const outage = { terminalBefore: 0, terminalAfter: 0 };
    const { problems, fleet } = await runChaos({
      label: 'outage-postgres',
      storeUrl: url,
      participantsUrl: url,
      workers: 2,
      killEveryMs: null,
      // Few sagas at a time and slow participants, so that many are mid-step when the server goes.
      concurrency: 4,
      timeoutMs: 90_000,
      workload: { seed: chaosSeed(), count: 100, transientRate: 0.1, permanentRate: 0.15, latencyMs: 400 },
      during: async (progress) => {
        const giveUp = Date.now() + 60_000;
        while (progress() < 20 && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 50));
        outage.terminalBefore = progress();
        await stopPostgresServer(cluster);
        await new Promise((r) => setTimeout(r, OUTAGE_MS));
        await resumePostgresServer(cluster);
        outage.terminalAfter = progress();
      },
    });
    const lines = fleet.allLogLines();
    const count = (text: string): number => lines.filter((line) => line.includes(text)).length;
    const backoff = {
      storeUnavailable: count('store unavailable: retrying'),
      storeBack: count('store available again'),
      leaseRenewalRetries: count('lease renewal failed'),
      participantErrors: count('participant database error'),
      subscriptionsStopped: count('worker subscription stopped'),
    };
    console.log(
      `[outage-postgres] server down for ${OUTAGE_MS} ms with ${outage.terminalBefore} of 100 sagas terminal (${outage.terminalAfter} when it came back); worker logs: ${JSON.stringify(backoff)}`,
    );
    expect(problems.slice(0, 40), `${problems.length} problem(s); worker logs in ${fleet.logDir}`).toEqual([]);
    expect(outage.terminalBefore, 'sagas terminal when the server stopped: the outage hit mid-run').toBeLessThan(100);
    // The workers said so at once (the store reports its own retries to the engine), and said
    // when the server was back.
    expect(backoff.storeUnavailable, 'workers that warned the store was unavailable').toBeGreaterThan(0);
    expect(backoff.storeBack, 'workers that said the store was back').toBeGreaterThan(0);
    expect(backoff.subscriptionsStopped, 'worker subscriptions that gave up').toBe(0);
    rmSync(fleet.logDir, { recursive: true, force: true });
  }, 150_000);
});
