/**
 * Soak: 200,000 three-step sagas through one engine on a SQLite file, 50 in flight. Every
 * 20,000 sagas it prints the heap after a forced GC and the RSS, so growth shows as a slope.
 * Flat after the warm-up is the goal (issue: no heap kept per finished saga).
 * Run: npx tsx bench/soak.ts [sagas=200000] [every=20000]   (re-runs itself with --expose-gc)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../src/index.js';
import { createSqliteEventStore } from '../src/stores/sqlite/index.js';
import { threeStepSaga } from './benchSagas.js';
import { printTable } from './support.js';

const gc = (globalThis as { gc?: () => void }).gc;

async function soakHere(total: number, every: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sagaflow-soak-'));
  const store = createSqliteEventStore({ path: join(dir, 'soak.db') });
  const engine = await createEngine({ store, sagas: [threeStepSaga], concurrency: 64 });
  const rows: Record<string, string | number>[] = [];
  const heapMb = (): number => {
    gc!();
    gc!();
    return process.memoryUsage().heapUsed / 2 ** 20;
  };
  const started = performance.now();
  let next = 0;
  let baseline: number | undefined;
  try {
    for (let done = 0; done < total; done += every) {
      const t0 = performance.now();
      const end = Math.min(total, done + every);
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          while (next < end) {
            const { sagaId } = await engine.start(threeStepSaga.name, { i: next++ });
            await engine.result(sagaId);
          }
        }),
      );
      const heap = heapMb();
      baseline ??= heap;
      rows.push({
        sagas: end,
        'heap after GC (MB)': heap,
        'vs first sample (MB)': heap - baseline,
        'RSS (MB)': process.memoryUsage().rss / 2 ** 20,
        'sagas/s (this slice)': ((end - done) / (performance.now() - t0)) * 1000,
      });
      console.log(`soak: ${end} sagas, heap ${heap.toFixed(1)} MB, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
    }
  } finally {
    await engine.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const first = rows[0]?.['heap after GC (MB)'] as number;
  const last = rows.at(-1)?.['heap after GC (MB)'] as number;
  const span = total - every;
  printTable(
    `Soak: ${total} sagas on SQLite, one engine, 50 in flight (${((performance.now() - started) / 1000).toFixed(0)} s); heap kept per finished saga after the first sample: ${span > 0 ? (((last - first) * 2 ** 20) / span).toFixed(1) : '?'} B`,
    rows,
  );
}

/** Runs the soak in a child with --expose-gc (the heap is only comparable after a forced GC). */
export function soak(total = 200_000, every = 20_000): void {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, String(total), String(every)], { stdio: 'inherit' });
  if (child.status !== 0) throw new Error(`soak exited with ${child.status ?? child.signal}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [total, every] = [Number(process.argv[2] ?? 200_000), Number(process.argv[3] ?? 20_000)];
  if (gc) await soakHere(total, every);
  else soak(total, every);
}
