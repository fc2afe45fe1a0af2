/**
 * Child process of the optional-drivers test: run with packages hidden (hidePackages.mjs), it
 * imports the root export and the test kit, runs a saga on `sqlite:` through createStore, and
 * prints, as JSON, what createStore answers for the stores whose drivers may be missing and
 * what importing `sagaflow/testing/esdb` does.
 * Usage: SAGAFLOW_HIDE_PACKAGES=pg,… node --import tsx --import ./hidePackages.mjs optionalDriversChild.ts <dbFile>
 */
import { z } from 'zod';

const [dbFile] = process.argv.slice(2) as [string];

/** The part of an error the test compares (the cause chain is Node's wording, not ours). */
function outcome(error: unknown): { name: string; code: unknown; package: unknown; message: string } {
  const e = error as { name?: string; code?: unknown; details?: { package?: unknown }; message?: string };
  return { name: e.name ?? typeof error, code: e.code, package: e.details?.package, message: e.message ?? String(error) };
}

async function attempt(run: () => Promise<unknown>): Promise<{ ok: true } | { ok: false; error: ReturnType<typeof outcome> }> {
  try {
    const store = (await run()) as { close?: () => Promise<void> } | undefined;
    await store?.close?.();
    return { ok: true };
  } catch (error) {
    return { ok: false, error: outcome(error) };
  }
}

const sagaflow = await import('../../src/index.js');
const testKit = await import('../../src/testing/index.js');

const store = await sagaflow.createStore(`sqlite:${dbFile}`);
const saga = sagaflow
  .defineSaga({ name: 'drivers', version: 1, input: z.object({ n: z.number() }) })
  .step('reserve', { run: async ({ input }) => ({ reserved: input.n }), compensate: async () => {} })
  .step('ship', { run: async () => ({ shipped: true }) });
const engine = await sagaflow.createEngine({ store, sagas: [saga] });
const { sagaId } = await engine.start('drivers', { n: 1 });
const result = await engine.result(sagaId);
await engine.close();
await store.close();

const report = {
  testKitExports: ['createVirtualClock', 'scenarioArb', 'runScenario'].filter((name) => name in testKit),
  sqliteSaga: result.status,
  postgres: await attempt(() => sagaflow.createStore('postgres://sagaflow:secret@127.0.0.1:1/db')),
  esdb: await attempt(() => sagaflow.createStore('esdb://127.0.0.1:1?tls=false')),
  kurrentdb: await attempt(() => sagaflow.createStore('kurrentdb://127.0.0.1:1?tls=false')),
  testingEsdb: await attempt(() => import('../../src/testing/esdb/index.js').then(() => undefined)),
  otel: await attempt(() => import('../../src/observability/otel/index.js').then(() => undefined)),
};
process.stdout.write(`${JSON.stringify(report)}\n`);
