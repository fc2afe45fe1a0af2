/**
 * Restart recovery split between workers: a crashed engine leaves `count` sagas in their first
 * step; then `workers` engines start at once on the same store, each through its own store
 * object (as separate processes would), with a 500 ms lease (so a 5 s claim lease). Returns
 * how many saga streams each worker read, how many sagas each claimed, and how many completed.
 */
import { z } from 'zod';
import { createEngine, defineSaga } from '../../src/index.js';
import type { EventStore } from '../../src/index.js';
import { killEngine } from '../../src/testing/index.js';
import { counted } from './followerLoads.js';

let hang = true;
const saga = defineSaga({ name: 'split', input: z.object({ n: z.number() }) })
  .step('first', {
    run: async () => {
      if (hang) await new Promise(() => {});
      return 1;
    },
  })
  .step('second', { run: () => 2 });

/** A dead engine's `count` sagas, each with its first step's attempt in flight. */
export async function strandSagas(store: EventStore, count: number): Promise<string[]> {
  hang = true;
  const crashing = await createEngine({ store, sagas: [saga], leaseMs: 100, workerId: 'crashed', concurrency: count });
  const ids = await Promise.all(Array.from({ length: count }, (_, n) => crashing.start(saga, { n }).then((r) => r.sagaId)));
  killEngine(crashing);
  // Past the dead engine's leases: a worker that loads one of these takes it over at once.
  await new Promise((r) => setTimeout(r, 250));
  return ids;
}

export async function recoverTogether(
  stores: EventStore[],
  ids: string[],
): Promise<{ readsPerWorker: number[]; recoveredPerWorker: number[]; completed: number }> {
  hang = false;
  const workers = stores.map((store) => counted(store));
  const engines = await Promise.all(
    workers.map((w, i) => createEngine({ store: w.store, sagas: [saga], leaseMs: 500, workerId: `worker-${i}`, concurrency: 16 })),
  );
  // Results are read by a client on its own (uncounted) store object.
  const client = await createEngine({ store: stores[0] as EventStore, sagas: [saga], runSagas: false });
  try {
    await Promise.all(engines.map((e) => e.startWorker()));
    const results = await Promise.all(ids.map((id) => client.result(id, { pollMs: 20 })));
    return {
      readsPerWorker: workers.map((w) => w.reads.count),
      recoveredPerWorker: engines.map((e) => e.recovered),
      completed: results.filter((r) => r.status === 'completed').length,
    };
  } finally {
    await Promise.all([...engines, client].map((e) => e.close({ graceMs: 200 })));
  }
}
