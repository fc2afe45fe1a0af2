/**
 * Issue 11 item 5 on the real engine (in-memory store): a random version 1 saga runs under
 * random failures on a worker that dies mid-run; a new worker is deployed with version 1 and 2
 * side by side, with only version 2 and the migration, or with only version 2. Whatever the
 * deploy: the stream never changes version without a migration event, every state is valid
 * for the version it runs with, the saga ends terminal, a saga whose version stays registered
 * finishes on its own steps, and after a migration only version 2's steps run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fold, parseSagaEvent, PermanentError, TransientError, versionViolations, violations } from '../../src/core/index.js';
import type { SagaEvent, SagaState } from '../../src/core/index.js';
import { defineMigration, defineSaga } from '../../src/definition/index.js';
import type { AnySagaDefinition } from '../../src/definition/index.js';
import { createEngine } from '../../src/runtime/engine.js';
import { createInMemoryEventStore } from '../../src/stores/inMemory/index.js';
import { killEngine } from '../../src/testing/killEngine.js';
import { propertyRuns } from '../support/propertyRuns.js';

const RUNS = propertyRuns(60);
type Outcome = 'ok' | 'transient' | 'permanent';
type Deploy = 'both' | 'v2 + migration' | 'v2 only';

const caseArb = fc.record({
  v1Steps: fc.integer({ min: 1, max: 3 }),
  insertAt: fc.array(fc.nat({ max: 3 }), { maxLength: 2 }),
  outcomes: fc.array(fc.constantFrom<Outcome>('ok', 'ok', 'transient', 'permanent'), { maxLength: 8 }),
  killAt: fc.integer({ min: 1, max: 4 }),
  deploy: fc.constantFrom<Deploy>('both', 'v2 + migration', 'v2 only'),
});

const retry = { immediateAttempts: 1, maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2, jitter: 'none' as const };

describe('versioned definitions on the real engine under random deploys', () => {
  const seen = new Set<string>();
  it(`a saga never changes version without SagaMigrated, stays valid for its version, ends terminal, and runs only its version's steps (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const log: { version: number; step: string }[] = [];
        let calls = 0;
        let killed = false;
        let hanging = false;
        const run = (version: number, step: string) => async () => {
          calls++;
          // The call that reaches killAt hangs: its worker is killed while it runs.
          if (!killed && calls === c.killAt) {
            hanging = true;
            return new Promise<never>(() => {});
          }
          log.push({ version, step });
          const outcome = c.outcomes[calls - 1] ?? 'ok';
          if (outcome === 'transient') throw new TransientError('busy');
          if (outcome === 'permanent') throw new PermanentError('no');
          return { by: version };
        };
        const v1Names = Array.from({ length: c.v1Steps }, (_, i) => `s${i}`);
        const v2Names = [...v1Names];
        for (const [k, at] of c.insertAt.entries()) v2Names.splice(at % (v2Names.length + 1), 0, `new${k}`);
        const build = (version: number, names: string[]): AnySagaDefinition => {
          let d: AnySagaDefinition = defineSaga({ name: 'versioned', version, input: z.object({}) });
          for (const name of names) d = d.step(name as never, { retry, run: run(version, name), compensate: () => {} });
          return d;
        };
        const v1 = build(1, v1Names);
        const v2 = build(2, v2Names);
        const migration = defineMigration({
          saga: v2,
          from: 1,
          migrate: (old) => {
            // New steps before where the saga is count as done: what a careful migration backfills.
            const reached = v2Names.findLastIndex((n) => Object.hasOwn(old.outputs, n) || n === old.current);
            const outputs: Record<string, unknown> = { ...old.outputs };
            for (const n of v2Names.slice(0, reached + (old.current === null ? 1 : 0))) if (n.startsWith('new')) outputs[n] = { backfilled: true };
            return { input: old.input, outputs };
          },
        });

        const store = createInMemoryEventStore();
        const first = await createEngine({ store, sagas: [v1], leaseMs: 40 });
        const { sagaId } = await first.start('versioned', {});
        for (let i = 0; i < 400 && !hanging; i++) {
          const s = await first.state(sagaId);
          if (s.status !== 'running' && s.status !== 'compensating') break;
          await new Promise((r) => setTimeout(r, 2));
        }
        killed = true;
        killEngine(first);
        const logBefore = log.length;

        const sagas = c.deploy === 'both' ? [v1, v2] : [v2];
        const second = await createEngine({ store, sagas, migrations: c.deploy === 'v2 + migration' ? [migration] : [], leaseMs: 40 });
        try {
          const result = await second.result(sagaId, { pollMs: 10 });
          expect(['completed', 'compensated', 'failed']).toContain(result.status);
          const events: SagaEvent[] = (await store.readStream(`saga-${sagaId}`)).map((e) => parseSagaEvent(e, e));
          expect(versionViolations(events)).toEqual([]);
          let state: SagaState | undefined;
          for (const [revision, event] of events.entries()) {
            state = fold([event], state) as SagaState;
            expect(violations(state, state.version === 1 ? v1 : v2), `revision ${revision} (${event.type})`).toEqual([]);
          }
          const final = state as SagaState;
          const migrated = events.some((e) => e.type === 'SagaMigrated');
          seen.add(migrated ? `migrated, ${final.status}` : `version 1, ${final.status}`);
          if (c.deploy !== 'v2 + migration') {
            expect(migrated).toBe(false);
            expect(final.version).toBe(1);
            expect(log.every((l) => l.version === 1)).toBe(true);
            if (c.deploy === 'v2 only' && final.status === 'failed') expect(final.failure?.code).toBe('DEFINITION_VERSION_NOT_REGISTERED');
          }
          if (migrated) {
            expect(final.version).toBe(2);
            expect(log.slice(logBefore).every((l) => l.version === 2)).toBe(true);
          } else {
            expect(log.every((l) => l.version === 1)).toBe(true);
          }
        } finally {
          await second.close({ graceMs: 50 });
        }
      }),
      { numRuns: RUNS },
    );
    // Not vacuous: some runs migrated, and some finished on version 1.
    expect([...seen].some((s) => s.startsWith('migrated'))).toBe(true);
    expect(seen).toContain('version 1, completed');
  });
});
