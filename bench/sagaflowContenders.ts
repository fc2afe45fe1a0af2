/**
 * sagaflow as a contender, one per store: PostgreSQL (the bench cluster, a fresh schema per
 * run), SQLite (a fresh file per run in a temp dir) and memory. One embedded engine per run,
 * sagas started and awaited with the public API (`engine.start` then `engine.result`).
 */
import { join } from 'node:path';
import { createEngine, createInMemoryEventStore } from '../src/index.js';
import type { Engine, EventStore } from '../src/index.js';
import { createPostgresEventStore } from '../src/stores/postgres/index.js';
import { createSqliteEventStore } from '../src/stores/sqlite/index.js';
import { checkCompensations, compensatingSaga, threeStepSaga } from './benchSagas.js';
import type { Contender, SagaKind } from './contender.js';

const SAGA_NAME: Record<SagaKind, string> = { threeSteps: threeStepSaga.name, compensating: compensatingSaga.name };

/**
 * Above the 50 in flight, so the engine's own limit (default 32) never queues sagas the
 * workload has started. `result()` is woken by the engine's own appends; the poll only covers
 * a terminal append that lands between its read and its subscription.
 */
const ENGINE_CONCURRENCY = 64;
const RESULT_POLL_MS = 20;

export function createSagaflowContender(name: string, openStore: (runId: string) => Promise<EventStore>): Contender {
  let engine: Engine | undefined;
  let store: EventStore | undefined;
  return {
    name,
    async prepare(runId) {
      store = await openStore(runId);
      engine = await createEngine({ store, sagas: [threeStepSaga, compensatingSaga], concurrency: ENGINE_CONCURRENCY });
    },
    async runOne(kind, i) {
      if (!engine) throw new Error(`${name}: runOne before prepare`);
      const { sagaId } = await engine.start(SAGA_NAME[kind], { i });
      const result = await engine.result(sagaId, { pollMs: RESULT_POLL_MS });
      return result.status === 'compensated' ? checkCompensations(result.compensated) : result.status;
    },
    async finish() {
      await engine?.close();
      await store?.close();
      engine = undefined;
      store = undefined;
    },
    async close() {
      await this.finish();
    },
  };
}

/** Schema names are identifiers: the run id reduced to [a-z0-9_]. */
function schemaOf(runId: string): string {
  return `bench_${runId.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
}

export function sagaflowContenders(postgresUrl: string, tempDir: string): Contender[] {
  return [
    createSagaflowContender('sagaflow · postgres', async (runId) => createPostgresEventStore({ connectionString: postgresUrl, schema: schemaOf(runId) })),
    createSagaflowContender('sagaflow · sqlite', async (runId) => createSqliteEventStore({ path: join(tempDir, `${schemaOf(runId)}.db`) })),
    createSagaflowContender('sagaflow · memory', async () => createInMemoryEventStore()),
  ];
}
