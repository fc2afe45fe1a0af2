/**
 * Saga throughput per store, side by side in one run (the machines are shared and noisy, so
 * compare the ratios): N three-step sagas, sequentially and 32 at a time.
 * Run: npx tsx bench/sagaThroughput.ts [N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { createEngine, defineSaga } from '../src/index.js';
import type { EventStore } from '../src/index.js';
import { createInMemoryEventStore } from '../src/stores/inMemory/index.js';
import { createPostgresEventStore } from '../src/stores/postgres/index.js';
import { createSqliteEventStore } from '../src/stores/sqlite/index.js';
import { destroyPostgresServer, startPostgresServer, type PostgresServerInfo } from '../test/support/postgresServer.js';
import { cleanupOnSignal, printTable, timed } from './support.js';

const saga = defineSaga({ name: 'bench', input: z.object({ i: z.number() }) })
  .step('reserve', { run: ({ input }) => ({ id: input.i }), compensate: () => {} })
  .step('charge', { run: () => ({ paid: true }), compensate: () => {} })
  .step('ship', { run: () => 'ok' });

async function measure(store: EventStore, concurrency: number, N: number): Promise<number> {
  const engine = await createEngine({ store, sagas: [saga], concurrency: 64 });
  const { ms } = await timed(async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < N) {
          const { sagaId } = await engine.start('bench', { i: next++ });
          await engine.result(sagaId, { pollMs: 5 });
        }
      }),
    );
  });
  await engine.close();
  return ms;
}

export async function sagaThroughput(N = 300): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sagaflow-bench-'));
  let pg: PostgresServerInfo | undefined;
  const cleanup = async (): Promise<void> => {
    if (pg) await destroyPostgresServer(pg);
    pg = undefined;
    rmSync(dir, { recursive: true, force: true });
  };
  const removeHandlers = cleanupOnSignal(cleanup);
  const rows: Record<string, string | number>[] = [];
  let base: Record<number, number> = {};
  try {
    pg = await startPostgresServer();
    const { url } = pg;
    const stores: [string, () => Promise<EventStore>][] = [
      ['memory', async () => createInMemoryEventStore()],
      ['sqlite (WAL, synchronous=FULL)', async () => createSqliteEventStore({ path: join(dir, `b${Math.random()}.db`) })],
      [
        'postgres (private cluster)',
        async () => createPostgresEventStore({ connectionString: url, schema: `b${Date.now()}${Math.floor(Math.random() * 1e6)}` }),
      ],
    ];
    for (const [name, open] of stores) {
      for (const concurrency of [1, 32]) {
        const store = await open();
        const ms = await measure(store, concurrency, N);
        await store.close();
        if (name === 'memory') base = { ...base, [concurrency]: ms };
        rows.push({
          store: name,
          concurrency,
          sagas: N,
          'ms/saga': ms / N,
          'sagas/s': (N / ms) * 1000,
          'appends/s': ((N * 4) / ms) * 1000,
          'time vs memory': ms / (base[concurrency] ?? ms),
        });
      }
    }
  } finally {
    removeHandlers();
    await cleanup();
  }
  printTable(`Saga throughput: ${N} sagas of 3 steps (4 appends each)`, rows);
}

if (import.meta.url === `file://${process.argv[1]}`) await sagaThroughput(Number(process.argv[2] ?? 300));
