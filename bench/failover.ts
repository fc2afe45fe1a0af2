/**
 * RTO of a PostgreSQL failover: from the SIGKILL of the primary's postmaster to the first saga
 * append acknowledged by the promoted synchronous standby, with `pg_ctl promote` issued the
 * moment the primary dies. Failure *detection* is not in the figure: Patroni (its ttl and
 * loop_wait, 30 s and 10 s by default) or a managed service decides when to promote, and that
 * time adds to these.
 *
 * Per round: a fresh durable primary + synchronous standby (test/support/postgresReplicaPair.ts,
 * a cold copy), an engine in this process on the multi-host URL, running the comparison's
 * three-step saga (instant steps) from a starter that starts one every START_EVERY_MS. After a
 * warm-up and a random 0–500 ms, the primary is SIGKILLed and the standby promoted.
 * - `rto`: kill → the first `start()` *called after the kill* that resolved, i.e. whose
 *   SagaStarted is durable on the promoted server (an append sent after the kill cannot be
 *   acknowledged by the dead primary; starts come every START_EVERY_MS, so the figure is at
 *   most that much late). It includes the promotion and the store's retry backoff.
 * - `all resumed`: kill → every saga that was running at the kill has appended again (the
 *   in-flight appends' retries, up to the 1 s cap of the store's backoff).
 * Every saga must complete; the round's count of those that did not is printed.
 * Run: npx tsx bench/failover.ts [rounds=8]
 */
import { createEngine } from '../src/index.js';
import type { Engine } from '../src/index.js';
import { createPostgresEventStore, type PostgresEventStore } from '../src/stores/postgres/index.js';
import { startReplicaPair, type ReplicaPair } from '../test/support/postgresReplicaPair.js';
import { threeStepSaga } from './benchSagas.js';
import { loadAverage } from './machine.js';
import { cleanupOnSignal, printTable, sleep, summary, waitFor, withTimeout } from './support.js';

const START_EVERY_MS = 10;
const WARM_UP_MS = 1_500;

export interface FailoverRound {
  promoteMs: number;
  rtoMs: number;
  allResumedMs: number;
  sagas: number;
  notCompleted: number;
}

async function oneRound(pair: ReplicaPair, round: number): Promise<FailoverRound> {
  // A budget well above the promotion, so no call gives up during it.
  const store: PostgresEventStore = await createPostgresEventStore({ connectionString: pair.multiHostUrl(), retryBudgetMs: 30_000 });
  let engine: Engine | undefined;
  try {
    engine = await createEngine({ store, sagas: [threeStepSaga], workerId: `failover-${round}` });
    const running = engine;
    const started: Promise<{ sagaId: string; calledAt: number; ackedAt: number } | undefined>[] = [];
    const lastEventAt = new Map<string, number>();
    const finished = new Set<string>();
    let killedAt: number | undefined;
    const resumedAfterKill = new Map<string, number>();
    running.events$.subscribe((e) => {
      const at = performance.now();
      if (e.type === 'SagaCompleted' || e.type === 'SagaCompensated' || e.type === 'SagaFailed') finished.add(e.sagaId);
      if (killedAt !== undefined && !resumedAfterKill.has(e.sagaId)) resumedAfterKill.set(e.sagaId, at);
      lastEventAt.set(e.sagaId, at);
    });
    let stop = false;
    let i = 0;
    const starter = (async () => {
      while (!stop) {
        const calledAt = performance.now();
        started.push(
          running.start(threeStepSaga.name, { i: i++ }).then(
            ({ sagaId }) => ({ sagaId, calledAt, ackedAt: performance.now() }),
            () => undefined,
          ),
        );
        await sleep(START_EVERY_MS);
      }
    })();
    await sleep(WARM_UP_MS + Math.random() * 500);
    // Sagas running at the kill: started, not finished.
    const inFlight = [...lastEventAt.keys()].filter((id) => !finished.has(id));
    killedAt = performance.now();
    pair.killPrimaryPostmaster();
    const kill = killedAt;
    await pair.promoteStandby();
    const promoteMs = performance.now() - kill;
    const firstAck = async (): Promise<number | undefined> => {
      const acks = (await Promise.all(started)).filter((s) => s !== undefined && s.calledAt > kill).map((s) => s!.ackedAt);
      return acks.length > 0 ? Math.min(...acks) : undefined;
    };
    await waitFor(
      async () => inFlight.every((id) => resumedAfterKill.has(id) || finished.has(id)) && (await firstAck()) !== undefined,
      30_000,
      `round ${round}: writes did not come back`,
      20,
    );
    stop = true;
    await starter;
    const starts = (await Promise.all(started)).filter((s): s is NonNullable<typeof s> => s !== undefined);
    const results = await withTimeout(Promise.all(starts.map((s) => running.result(s.sagaId))), 60_000, `round ${round}: sagas did not finish`);
    const resumedTimes = inFlight.map((id) => resumedAfterKill.get(id)).filter((t): t is number => t !== undefined);
    return {
      promoteMs,
      rtoMs: ((await firstAck()) as number) - kill,
      allResumedMs: resumedTimes.length > 0 ? Math.max(...resumedTimes) - kill : 0,
      sagas: starts.length,
      notCompleted: results.filter((r) => r.status !== 'completed').length + (started.length - starts.length),
    };
  } finally {
    await engine?.close({ graceMs: 1_000 });
    await store.close();
  }
}

export async function failover(rounds = 8): Promise<FailoverRound[]> {
  let pair: ReplicaPair | undefined;
  const cleanup = async (): Promise<void> => {
    await pair?.destroy();
    pair = undefined;
  };
  const removeHandlers = cleanupOnSignal(cleanup);
  const results: FailoverRound[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      pair = await startReplicaPair();
      results.push(await oneRound(pair, round));
      await cleanup();
    }
  } finally {
    removeHandlers();
    await cleanup();
  }
  printFailover(results);
  return results;
}

function printFailover(results: FailoverRound[]): void {
  const row = (label: string, values: number[]): Record<string, string | number> => {
    const s = summary(values);
    return { measure: label, rounds: values.length, 'p50 ms': s.p50, 'p99 ms': s.p99, 'max ms': s.max };
  };
  printTable('PostgreSQL failover (primary SIGKILLed, synchronous standby promoted at once; excludes failure detection)', [
    row(
      'pg_ctl promote -w',
      results.map((r) => r.promoteMs),
    ),
    row(
      'RTO: kill → first saga append acknowledged by the promoted server',
      results.map((r) => r.rtoMs),
    ),
    row(
      'kill → every saga running at the kill appended again',
      results.map((r) => r.allResumedMs),
    ),
  ]);
  const sagas = results.reduce((n, r) => n + r.sagas, 0);
  const notCompleted = results.reduce((n, r) => n + r.notCompleted, 0);
  console.log(
    `\n${sagas} sagas started over ${results.length} rounds, ${notCompleted} not completed (p99 of ${results.length} rounds is their maximum); load average now ${loadAverage()}`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await failover(Number(process.argv[2] ?? 8));
