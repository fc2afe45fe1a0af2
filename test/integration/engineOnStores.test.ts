/**
 * The engine's recovery properties and the demo, run on every durable store — not only on the
 * in-memory one: SQLite (a real file), PostgreSQL (the private cluster the suite starts) and
 * EventStoreDB (the adapter over real gRPC against the in-process protocol server).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { canContinue, fold, isTerminal, parseSagaEvent, violations } from '../../src/core/index.js';
import type { SagaEvent, SagaState } from '../../src/core/index.js';
import type { EventStore } from '../../src/stores/eventStore.js';
import { createEsdbEventStore } from '../../src/stores/esdb/index.js';
import { createSqliteEventStore } from '../../src/stores/sqlite/index.js';
import { startEsdbProtocolServer } from '../../src/testing/esdb/index.js';
import { runScenario, scenarioArb } from '../../src/testing/index.js';
import { openTestStore } from '../support/postgresTestStore.js';
import { propertyRuns } from '../support/propertyRuns.js';

const RUNS = propertyRuns(150);
const dir = mkdtempSync(join(tmpdir(), 'sagaflow-stores-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Opens a fresh store for one run and returns it with its cleanup. */
type Opener = () => Promise<{ store: EventStore; dispose(): Promise<void> }>;

const stores: [string, Opener][] = [
  [
    'sqlite',
    async () => {
      const store = createSqliteEventStore({ path: join(dir, `${Math.random().toString(36).slice(2)}.db`) });
      return { store, dispose: () => store.close() };
    },
  ],
  [
    'postgres',
    async () => {
      const store = await openTestStore();
      return { store, dispose: () => store.close() };
    },
  ],
  [
    'esdb (protocol server, gRPC)',
    async () => {
      const server = await startEsdbProtocolServer();
      const store = await createEsdbEventStore({ connectionString: server.connectionString });
      return {
        store,
        dispose: async () => {
          await store.close();
          await server.close();
        },
      };
    },
  ],
];

describe.each(stores)('engine recovery properties on %s', (_name, open) => {
  it(`every state along every stream is valid, every append boundary canContinue, every run ends terminal, and the loaded state equals a full fold (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.integer(), async (scenario, seed) => {
        const { store, dispose } = await open();
        try {
          const report = await runScenario(scenario, store, seed);
          const events: SagaEvent[] = report.events.map((e) => parseSagaEvent(e, e));
          let state: SagaState | undefined;
          const appendOf = report.events.map((e) => e.metadata['append']);
          events.forEach((event, revision) => {
            state = fold([event], state) as SagaState;
            expect(violations(state, report.definition), `revision ${revision}`).toEqual([]);
            const lastOfAppend = appendOf[revision + 1] !== appendOf[revision];
            if (lastOfAppend) expect(canContinue(report.definition, state, state.updatedAt), `revision ${revision}`).toBe(true);
          });
          expect(isTerminal(state as SagaState)).toBe(true);
          expect(report.loadedState).toEqual(fold(events));
          const applied = report.ledger.log.filter((e) => e.op === 'apply').map((e) => e.step);
          const compensated = report.ledger.log.filter((e) => e.op === 'compensate').map((e) => e.step);
          expect(compensated).toEqual([...applied].reverse().slice(0, compensated.length));
        } finally {
          await dispose();
        }
      }),
      { numRuns: RUNS },
    );
    // 150 runs take ~20 s on PostgreSQL on a quiet 2-core machine; a loaded one took over 60 s.
  }, 240_000);
});

describe('the demo on other stores', () => {
  const run = promisify(execFile);
  const demo = async (url: string) =>
    run(process.execPath, ['--import', 'tsx', 'src/cli/demo.ts'], { env: { ...process.env, SAGAFLOW_STORE: url }, timeout: 60_000 });

  it('runs on PostgreSQL', async () => {
    const { stdout } = await demo(inject('postgresUrl'));
    expect(stdout).toMatch(/\(a\)[\s\S]*result: completed[\s\S]*\(c\)[\s\S]*result: compensated[\s\S]*\(d\)[\s\S]*PARKED/);
    expect(stdout).not.toContain('sagaflow-test-secret');
  });

  it('runs on EventStoreDB (protocol server over gRPC)', async () => {
    const server = await startEsdbProtocolServer();
    try {
      const { stdout } = await demo(server.connectionString);
      expect(stdout).toMatch(/\(a\)[\s\S]*result: completed[\s\S]*\(b\)[\s\S]*RetryScheduled[\s\S]*\(c\)[\s\S]*result: compensated[\s\S]*\(d\)[\s\S]*PARKED/);
    } finally {
      await server.close();
    }
  });
});
