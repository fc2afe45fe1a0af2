/**
 * Restart recovery: N unfinished sagas in the store, then ONE worker starts on a fresh store
 * object; how long until all are resumed and finished?
 *
 * Seeding: each saga is appended directly through the store port as the stream a crashed
 * worker leaves behind — `[SagaStarted, StepStarted(reserve, attempt 1, worker "crashed",
 * leaseUntil in the past)]` in one append — rather than by running an engine and killing it
 * (same events, much faster). The saga (`resumed`) has two instant steps, so each resumed saga
 * costs 3 appends: StepStarted(reserve, 2); [StepSucceeded, StepStarted(confirm)];
 * [StepSucceeded, SagaCompleted]. The worker is `createEngine` + `resumeUnfinished()` (the
 * store's open-stream index, or a scan of every saga stream on a store without one, then one
 * drive per unfinished saga, `concurrency` at a time) +
 * `startWorker()`, as `sagaflow worker` does. Timed: the scan + resume call, and the time until
 * the last SagaCompleted is durable. Each configuration gets its own freshly seeded store.
 * "server cpu µs/saga" is the PostgreSQL cluster's (its processes, from /proc) over the same phase.
 * "node cpu µs/saga" is this process's CPU (user + system) from the resume to the last end,
 * per saga: on a busy machine the times stretch, this figure much less.
 * "seed ms/append" (the seeding's average) shows what one durable append cost at that moment;
 * the memory rows show the engine alone (no I/O), i.e. the floor the stores add to.
 * SAGAFLOW_BENCH_PROFILE=<dir> writes a CPU profile of each recovery phase there.
 * Run: npx tsx bench/restartRecovery.ts [sagas=10000] [concurrencies=32,64] [stores=memory,sqlite,postgres]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { createEngine, createInMemoryEventStore, sagaEvent, stepShapes } from '../src/index.js';
import type { EventStore } from '../src/index.js';
import { sagaStreamId, toNewEvents } from '../src/runtime/sagaStream.js';
import { findUnfinishedSagas, sagaOpenStreamPlanner } from '../src/runtime/unfinishedSagas.js';
import { createPostgresEventStore } from '../src/stores/postgres/index.js';
import { createSqliteEventStore } from '../src/stores/sqlite/index.js';
import { destroyPostgresServer, startPostgresServer, type PostgresServerInfo } from '../test/support/postgresServer.js';
import { resumedSaga } from './recoverySagas.js';
import { cleanupOnSignal, postgresCpuMs, printTable, profilePhase, timed, withTimeout } from './support.js';

const SEED_PARALLELISM = 16;

/**
 * Appends N crashed-worker streams; returns how long it took. No engine runs on the seeding
 * store, so the runtime's planner is installed here: the open-stream index then lists them,
 * as it would for the streams a crashed worker left.
 */
async function seed(store: EventStore, n: number): Promise<number> {
  store.openStreams?.usePlanner(sagaOpenStreamPlanner);
  const { ms } = await timed(async () => {
    let next = 0;
    const crashedAt = Date.now() - 60_000;
    await Promise.all(
      Array.from({ length: SEED_PARALLELISM }, async () => {
        while (next < n) {
          const i = next++;
          const sagaId = uuidv7();
          const started = sagaEvent('SagaStarted', {
            sagaId,
            saga: resumedSaga.name,
            version: resumedSaga.version,
            input: { i },
            steps: stepShapes(resumedSaga),
            idempotencyKey: null,
            at: crashedAt,
          });
          const intent = sagaEvent('StepStarted', { step: 'reserve', attempt: 1, worker: 'crashed', leaseUntil: crashedAt + 750, at: crashedAt });
          await store.append(sagaStreamId(sagaId), toNewEvents([started, intent], { sagaId, saga: resumedSaga.name, worker: 'crashed' }), 'no_stream');
        }
      }),
    );
  });
  return ms;
}

export interface RestartRow {
  store: string;
  concurrency: number;
  sagas: number;
  [column: string]: string | number;
}

/** `open` gives a new store object on the same data each call, except for memory (one object). */
async function measure(label: string, open: () => Promise<EventStore>, n: number, concurrency: number, pgDataDir?: string): Promise<RestartRow> {
  const seeder = await open();
  const inMemory = label.startsWith('memory');
  const seedMs = await seed(seeder, n).finally(() => (inMemory ? undefined : seeder.close()));
  const store = inMemory ? seeder : await open(); // the restarted worker's own, fresh store object
  try {
    const engine = await createEngine({ store, sagas: [resumedSaga], concurrency, workerId: 'restarted', resumeUnfinished: false });
    let completed = 0;
    let failed = 0;
    let lastAt = 0;
    const allDone = new Promise<void>((resolve) => {
      engine.events$.subscribe((e) => {
        if (e.type === 'SagaCompleted') completed++;
        else if (e.type === 'SagaFailed' || e.type === 'SagaCompensated') failed++;
        else return;
        lastAt = performance.now();
        if (completed + failed === n) resolve();
      });
    });
    const stopProfile = await profilePhase(`restart-${label.split(' ')[0]}-${concurrency}`);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const server0 = pgDataDir ? await postgresCpuMs(pgDataDir) : 0;
    const resumed = await engine.resumeUnfinished();
    const scanMs = performance.now() - t0;
    await engine.startWorker();
    const timeout = Math.max(120_000, n * 20);
    await withTimeout(allDone, timeout, `${label}: only ${completed + failed}/${n} sagas ended`);
    const totalMs = lastAt - t0;
    const cpu = process.cpuUsage(cpu0);
    const serverMs = pgDataDir ? (await postgresCpuMs(pgDataDir)) - server0 : 0;
    await stopProfile();
    await engine.close();
    const left = (await findUnfinishedSagas(store)).sagaIds.length;
    return {
      store: label,
      concurrency,
      sagas: n,
      'seed ms/append': seedMs / n,
      resumed,
      'scan + resume ms': scanMs,
      'all terminal s': totalMs / 1000,
      'sagas/s': (n / totalMs) * 1000,
      'appends/s': ((3 * n) / totalMs) * 1000,
      // CPU of this process (engine + driver) per saga: unlike the time, hardly moved by other load.
      'node cpu µs/saga': Math.round((cpu.user + cpu.system) / n),
      // The server's processes over the same phase (0 for the embedded stores).
      'server cpu µs/saga': Math.round((serverMs * 1000) / n),
      'not completed': failed + left,
    };
  } finally {
    await store.close();
  }
}

export async function restartRecovery(
  n = 10_000,
  concurrencies: number[] = [32, 64],
  stores: string[] = ['memory', 'sqlite', 'postgres'],
): Promise<RestartRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sagaflow-restart-'));
  let pg: PostgresServerInfo | undefined;
  const cleanup = async (): Promise<void> => {
    if (pg) await destroyPostgresServer(pg);
    pg = undefined;
    rmSync(dir, { recursive: true, force: true });
  };
  const removeHandlers = cleanupOnSignal(cleanup);
  const rows: RestartRow[] = [];
  try {
    if (stores.includes('memory'))
      for (const concurrency of concurrencies)
        rows.push(await measure('memory (no I/O: the engine alone)', async () => createInMemoryEventStore(), n, concurrency));
    if (stores.includes('sqlite'))
      for (const concurrency of concurrencies) {
        const file = join(dir, `restart-${concurrency}.db`);
        rows.push(await measure('sqlite (WAL, FULL)', async () => createSqliteEventStore({ path: file }), n, concurrency));
      }
    if (stores.includes('postgres')) pg = await startPostgresServer();
    const url = pg?.url ?? '';
    if (pg)
      for (const concurrency of concurrencies) {
        const schema = `restart_${concurrency}`;
        rows.push(await measure('postgres (private cluster)', () => createPostgresEventStore({ connectionString: url, schema }), n, concurrency, pg.dataDir));
      }
  } finally {
    removeHandlers();
    await cleanup();
  }
  printTable(`Restart recovery: ${n} unfinished sagas (in-doubt first step, lease expired), one worker; 3 appends per saga`, rows);
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [n, concurrencies, stores] = [process.argv[2] ?? '10000', process.argv[3] ?? '32,64', process.argv[4] ?? 'memory,sqlite,postgres'];
  await restartRecovery(Number(n), concurrencies.split(',').map(Number), stores.split(','));
}
