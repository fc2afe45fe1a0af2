/**
 * Child process of the memory test: runs sagas through one engine on a SQLite file and prints
 * the heap kept per finished saga, as JSON. Must run with --expose-gc.
 * Usage: node --expose-gc --import tsx heapPerSaga.ts <dbFile> <sagas>
 *
 * The heap is read right after the last batch settles, without yielding to the event loop
 * first: objects an engine keeps reachable only until the end of a job (WeakRef targets,
 * which V8 holds for the whole job) count as kept, as they do for a busy worker whose sagas
 * never let the loop go idle.
 */
import { z } from 'zod';
import { createEngine, defineSaga } from '../../src/index.js';
import { createSqliteEventStore } from '../../src/stores/sqlite/index.js';

const [db, count] = process.argv.slice(2) as [string, string];
const total = Number(count);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const saga = defineSaga({ name: 'three-steps', version: 1, input: z.object({ n: z.number() }) })
  .step('reserve', { run: async (ctx) => ({ id: `r-${ctx.input.n}` }), compensate: async () => {} })
  .step('charge', { run: async (ctx) => ({ id: `c-${ctx.input.n}` }), compensate: async () => {} })
  .step('ship', { run: async (ctx) => ({ id: `s-${ctx.input.n}` }) });

function heapAfterGc(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

const store = createSqliteEventStore({ path: db });
const engine = await createEngine({ store, sagas: [saga] });
async function run(from: number, n: number): Promise<void> {
  for (let done = 0; done < n; done += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, n - done) }, async (_, i) => {
        const { sagaId } = await engine.start('three-steps', { n: from + done + i });
        const result = await engine.result(sagaId);
        if (result.status !== 'completed') throw new Error(`saga ${sagaId} ended ${result.status}`);
      }),
    );
  }
}

// Warm-up: JIT code, pools and caches that a long-running worker pays for once.
await run(0, 2_000);
const before = heapAfterGc();
await run(2_000, total);
const after = heapAfterGc();
await engine.close();
const closed = heapAfterGc();
await store.close();
process.stdout.write(
  `${JSON.stringify({ sagas: total, before, after, closed, keptPerSaga: (after - before) / total, keptAfterClose: (closed - before) / total })}\n`,
);
