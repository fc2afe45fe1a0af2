/**
 * The engine's CPU per saga (issue #7): N three-step sagas with instant steps, 50 in flight,
 * started and awaited with the public API, on the memory store and on SQLite (a temp file,
 * WAL, synchronous=FULL: the store's defaults). Reported per run: sagas/s and the process's
 * CPU time per saga (`process.cpuUsage()` user + system over the run ÷ sagas). CPU time is
 * the figure to compare on a shared, noisy machine: wall time counts the other tenants'
 * work, CPU time mostly does not.
 *
 * `--lib` takes one or more builds of sagaflow (comma-separated `src` directories, e.g. a
 * copy of main's `dist/src` and this branch's) and alternates them run by run, the order
 * rotated per repetition, so that an A/B comparison sees the same noise. Each build is warmed
 * up first (uncounted runs), so the JIT has settled before anything is measured.
 *
 * Run from compiled JavaScript (tsx's loader adds cost of its own); the default --lib is the
 * `src` beside the bench's own directory, i.e. dist/src here and src under tsx:
 *   npm run build && npx esbuild bench/engineCpu.ts --outfile=dist/bench/engineCpu.js --format=esm --platform=node
 *   node dist/bench/engineCpu.js [--lib dirA,dirB] [--sagas 10000] [--reps 3] [--stores memory,sqlite]
 * or from source: npx tsx bench/engineCpu.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type * as Sagaflow from '../src/index.js';
import type * as SagaflowSqlite from '../src/stores/sqlite/index.js';

interface Lib {
  label: string;
  root: typeof Sagaflow;
  sqlite: typeof SagaflowSqlite;
  saga: Sagaflow.AnySagaDefinition;
}

const IN_FLIGHT = 50;
/** Above the 50 in flight, as in bench/sagaflowContenders.ts: the engine never queues a started saga. */
const ENGINE_CONCURRENCY = 64;
const STORES = ['memory', 'sqlite'] as const;
type StoreName = (typeof STORES)[number];

async function loadLib(dir: string, label: string): Promise<Lib> {
  const url = (path: string): string => pathToFileURL(join(resolve(dir), path)).href;
  // The .js paths resolve to the .ts sources under tsx, and to the build itself under node.
  const root = (await import(url('index.js'))) as typeof Sagaflow;
  const sqlite = (await import(url('stores/sqlite/index.js'))) as typeof SagaflowSqlite;
  // The 3-step saga of bench/benchSagas.ts, built with this build's DSL.
  const saga = root
    .defineSaga({ name: 'benchThreeSteps', input: z.object({ i: z.number() }) })
    .step('reserve', { run: ({ input }) => ({ id: input.i }), compensate: () => {} })
    .step('charge', { run: () => ({ paid: true }), compensate: () => {} })
    .step('ship', { run: () => 'shipped' });
  return { label, root, sqlite, saga };
}

interface Run {
  sagasPerSecond: number;
  cpuMicrosPerSaga: number;
}

async function runOnce(lib: Lib, storeName: StoreName, sagas: number, dir: string): Promise<Run> {
  const store =
    storeName === 'memory' ? lib.root.createInMemoryEventStore() : lib.sqlite.createSqliteEventStore({ path: join(dir, `${lib.label}-${Math.random()}.db`) });
  const engine = await lib.root.createEngine({ store, sagas: [lib.saga], concurrency: ENGINE_CONCURRENCY });
  let next = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < sagas) {
        const i = next++;
        const { sagaId } = await engine.start(lib.saga.name, { i });
        const result = await engine.result(sagaId, { pollMs: 20 });
        if (result.status !== 'completed') throw new Error(`${lib.label}: saga ${i} ended ${result.status}`);
      }
    }),
  );
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  await engine.close();
  await store.close();
  return { sagasPerSecond: (sagas / ms) * 1000, cpuMicrosPerSaga: (used.user + used.system) / sagas };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export async function engineCpu(libDirs: string[], stores: StoreName[], sagas: number, reps: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sagaflow-cpu-'));
  try {
    const libs = await Promise.all(libDirs.map((d, i) => loadLib(d, libDirs.length === 1 ? 'lib' : `lib${i + 1}`)));
    for (const [i, lib] of libs.entries()) console.log(`${lib.label}: ${libDirs[i]}`);
    for (const lib of libs) for (const s of stores) await runOnce(lib, s, Math.min(sagas, 3_000), dir);
    const runs = new Map<string, Run[]>();
    for (let rep = 0; rep < reps; rep++) {
      for (const s of stores) {
        for (let k = 0; k < libs.length; k++) {
          const lib = libs[(k + rep) % libs.length] as Lib;
          const run = await runOnce(lib, s, sagas, dir);
          const key = `${s}\t${lib.label}`;
          runs.set(key, [...(runs.get(key) ?? []), run]);
          console.log(
            `rep ${rep + 1}/${reps}  ${s.padEnd(6)} ${lib.label}  ${run.sagasPerSecond.toFixed(0).padStart(6)} sagas/s  ${run.cpuMicrosPerSaga.toFixed(1)} µs CPU/saga`,
          );
        }
      }
    }
    console.log(`\n| store | build | runs × sagas | median sagas/s | median CPU µs/saga | CPU µs/saga min–max |`);
    console.log('|---|---|---|---|---|---|');
    for (const [key, list] of runs) {
      const [s, label] = key.split('\t');
      const cpu = list.map((r) => r.cpuMicrosPerSaga);
      console.log(
        `| ${s} | ${label} | ${list.length} × ${sagas} | ${median(list.map((r) => r.sagasPerSecond)).toFixed(0)} | ${median(cpu).toFixed(1)} | ${Math.min(...cpu).toFixed(1)}–${Math.max(...cpu).toFixed(1)} |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { lib: { type: 'string' }, sagas: { type: 'string' }, reps: { type: 'string' }, stores: { type: 'string' } },
  });
  const libs = (values.lib ?? new URL('../src', import.meta.url).pathname).split(',');
  const stores = (values.stores ?? STORES.join(',')).split(',') as StoreName[];
  await engineCpu(libs, stores, Number(values.sagas ?? 10_000), Number(values.reps ?? 3));
}
