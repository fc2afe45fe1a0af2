/**
 * Start-up over finished sagas: a store holding N finished sagas (and a few unfinished ones),
 * then a worker starts on a fresh store object: how long do `createEngine` (which finds and
 * resumes the unfinished sagas) + `startWorker()` take? With the store's open-stream index this
 * reads the open sagas only, so it should not grow with N (issue 10: ≤ 50 ms over 1 M finished).
 * The column "scan instead" times the fallback the runtime used before the index, and still uses
 * on a store without one (findUnfinishedSagas on the same store with `openStreams` hidden):
 * every saga event is read. "findUnfinishedSagas ms (index)": the directory's part alone.
 *
 * Seeding: one append per finished saga, `[SagaStarted, StepStarted, StepSucceeded, StepStarted,
 * StepSucceeded, SagaCompleted]` (6 events) built with `sagaEvent` + `toNewEvents`, through the
 * store port with the runtime's planner installed (as a worker would have left it), many appends
 * in flight so that group commit packs them (SQLite: up to 1,000 appends per commit; PostgreSQL:
 * a batch per writer connection). Then UNFINISHED sagas whose first attempt another worker holds
 * under a lease of an hour (found, then waited on: not driven, so every repeat finds them).
 * Run: npx tsx bench/startupOverFinished.ts [finished=100000,1000000] [stores=sqlite,postgres] [scanUpTo=100000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { createEngine, sagaEvent, stepShapes } from '../src/index.js';
import type { EventStore } from '../src/index.js';
import type { SagaEvent } from '../src/core/events.js';
import { sagaStreamId, toNewEvents } from '../src/runtime/sagaStream.js';
import { findUnfinishedSagas, sagaOpenStreamPlanner } from '../src/runtime/unfinishedSagas.js';
import { createPostgresEventStore } from '../src/stores/postgres/index.js';
import { createSqliteEventStore } from '../src/stores/sqlite/index.js';
import { destroyPostgresServer, startPostgresServer, type PostgresServerInfo } from '../test/support/postgresServer.js';
import { resumedSaga } from './recoverySagas.js';
import { cleanupOnSignal, printTable, timed } from './support.js';

const IN_FLIGHT = 2_000;
/**
 * Few: each one found is kicked, i.e. its stream is read, and those reads share the pool with
 * the worker's subscription (100 of them add ~70 ms on PostgreSQL): that is the drive's cost.
 */
const UNFINISHED = 10;
const REPEATS = 5;

function sagaEvents(sagaId: string, finished: boolean, at: number): SagaEvent[] {
  const started = sagaEvent('SagaStarted', {
    sagaId,
    saga: resumedSaga.name,
    version: resumedSaga.version,
    input: { i: 0 },
    steps: stepShapes(resumedSaga),
    idempotencyKey: null,
    at,
  });
  // An unfinished saga's attempt is leased for an hour by another worker: the engine finds it
  // and waits on the lease instead of driving it, so every run finds the same ones.
  if (!finished) return [started, sagaEvent('StepStarted', { step: 'reserve', attempt: 1, worker: 'elsewhere', leaseUntil: Date.now() + 3_600_000, at })];
  const intent = (step: string) => sagaEvent('StepStarted', { step, attempt: 1, worker: 'seed', leaseUntil: at + 750, at });
  const done = (step: string) => sagaEvent('StepSucceeded', { step, attempt: 1, output: 'ok', at });
  return [started, intent('reserve'), done('reserve'), intent('confirm'), done('confirm'), sagaEvent('SagaCompleted', { output: null, at })];
}

/** Appends `finished` finished sagas then UNFINISHED unfinished ones; returns the seconds it took. */
export async function seed(store: EventStore, finished: number): Promise<number> {
  store.openStreams?.usePlanner(sagaOpenStreamPlanner);
  const at = Date.now() - 60_000;
  const { ms } = await timed(async () => {
    for (const [count, isFinished] of [
      [finished, true],
      [UNFINISHED, false],
    ] as const) {
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(IN_FLIGHT, count) }, async () => {
          while (next < count) {
            next++;
            const sagaId = uuidv7();
            await store.append(
              sagaStreamId(sagaId),
              toNewEvents(sagaEvents(sagaId, isFinished, at), { sagaId, saga: resumedSaga.name, worker: 'seed' }, false),
              'no_stream',
            );
          }
        }),
      );
    }
  });
  return ms / 1000;
}

/** The same store without its open-stream index: what the runtime does on a store without one. */
function withoutIndex(store: EventStore): EventStore {
  return new Proxy(store, { get: (target, key) => (key === 'openStreams' ? undefined : Reflect.get(target, key, target)) });
}

async function measure(
  label: string,
  open: () => Promise<EventStore>,
  finished: number,
  scanUpTo: number,
  settle?: () => Promise<void>,
): Promise<Record<string, string | number>> {
  const seeder = await open();
  const seedS = await seed(seeder, finished).finally(() => seeder.close());
  await settle?.();
  const startups: number[] = [];
  const creates: number[] = [];
  let recovered = 0;
  for (let r = 0; r < REPEATS; r++) {
    const store = await open(); // a restarted worker's fresh store object
    try {
      const t0 = performance.now();
      const engine = await createEngine({ store, sagas: [resumedSaga], workerId: `startup-${r}` });
      creates.push(performance.now() - t0);
      await engine.startWorker();
      const ms = performance.now() - t0;
      recovered = engine.recovered;
      await engine.close();
      startups.push(ms);
    } finally {
      await store.close();
    }
  }
  const finds: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const store = await open();
    try {
      const { ms } = await timed(() => findUnfinishedSagas(store));
      finds.push(ms);
    } finally {
      await store.close();
    }
  }
  finds.sort((a, b) => a - b);
  let scanMs: number | string = 'skipped';
  if (finished <= scanUpTo) {
    const store = await open();
    try {
      const { ms, value } = await timed(() => findUnfinishedSagas(withoutIndex(store)));
      scanMs = value.sagaIds.length >= UNFINISHED ? ms : `found ${value.sagaIds.length}`;
    } finally {
      await store.close();
    }
  }
  startups.sort((a, b) => a - b);
  creates.sort((a, b) => a - b);
  return {
    store: label,
    finished,
    unfinished: UNFINISHED,
    'seed s': seedS,
    recovered,
    'start-up ms (median of 5)': startups[Math.floor(REPEATS / 2)]!,
    'of which createEngine ms': creates[Math.floor(REPEATS / 2)]!,
    'start-up ms min–max': `${startups[0]!.toFixed(1)}–${startups.at(-1)!.toFixed(1)}`,
    'findUnfinishedSagas ms (index)': finds[Math.floor(REPEATS / 2)]!,
    'scan instead ms': scanMs,
  };
}

export async function startupOverFinished(
  counts: number[] = [100_000, 1_000_000],
  stores: string[] = ['sqlite', 'postgres'],
  scanUpTo = 100_000,
): Promise<Record<string, string | number>[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sagaflow-startup-'));
  let server: PostgresServerInfo | undefined;
  const cleanup = async (): Promise<void> => {
    if (server) await destroyPostgresServer(server);
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  };
  const removeHandlers = cleanupOnSignal(cleanup);
  const rows: Record<string, string | number>[] = [];
  try {
    if (stores.includes('sqlite'))
      for (const n of counts) {
        const file = join(dir, `startup-${n}.db`);
        rows.push(await measure('sqlite (WAL, FULL)', async () => createSqliteEventStore({ path: file }), n, scanUpTo));
        rmSync(file, { force: true });
      }
    if (stores.includes('postgres')) server = await startPostgresServer();
    const url = server?.url ?? '';
    if (server)
      for (const n of counts) {
        const schema = `startup_${n}`;
        // After a bulk load autovacuum ANALYZEs the tables, and an ANALYZE holds a transaction id
        // while it runs: it holds back the read watermark of every reader of the cluster, and
        // readers wait for it (readAll's settle wait, a subscription's caught-up). Analyzed here
        // first, so the figures are those of a settled database, not of the seeding's aftermath.
        const settle = async (): Promise<void> => {
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          await client.query(`VACUUM ANALYZE "${schema}".events, "${schema}".streams, "${schema}".open_streams`).finally(() => client.end());
        };
        rows.push(await measure('postgres (private cluster)', () => createPostgresEventStore({ connectionString: url, schema }), n, scanUpTo, settle));
      }
  } finally {
    removeHandlers();
    await cleanup();
  }
  printTable(`Start-up over N finished sagas (+ ${UNFINISHED} unfinished): createEngine + startWorker() on a fresh store object`, rows);
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [counts, stores, scanUpTo] = [process.argv[2] ?? '100000,1000000', process.argv[3] ?? 'sqlite,postgres', process.argv[4] ?? '100000'];
  await startupOverFinished(counts.split(',').map(Number), stores.split(','), Number(scanUpTo));
}
