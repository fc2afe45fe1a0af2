/**
 * The store refuses appends for good (too large, invalid, a bug) at random points, on top of
 * every fault of the recovery properties. The engine must still bring every saga to a
 * consistent end, and never run a step's effect again once its success is recorded.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canContinue, fold, isTerminal, valid, violations } from '../../src/core/index.js';
import type { SagaEvent, SagaState } from '../../src/core/index.js';
import { parseSagaEvent } from '../../src/core/events.js';
import { createInMemoryEventStore } from '../../src/stores/inMemory/index.js';
import { refusingScenarioArb, runScenario, scenarioArb } from '../../src/testing/index.js';
import type { ScenarioReport } from '../../src/testing/index.js';
import { propertyRuns } from '../support/propertyRuns.js';

const RUNS = propertyRuns(1_000);

function states(report: ScenarioReport): SagaState[] {
  const events: SagaEvent[] = report.events.map((e) => parseSagaEvent(e, { streamId: e.streamId, revision: e.revision }));
  const out: SagaState[] = [];
  let state: SagaState | undefined;
  for (const event of events) {
    state = fold([event], state);
    out.push(state as SagaState);
  }
  return out;
}

describe('appends the store refuses for good (engine, in-memory store, virtual clock)', () => {
  it('every run still ends terminal and consistent, every state is valid, and every state an append left canContinue', async () => {
    await fc.assert(
      fc.asyncProperty(refusingScenarioArb, fc.integer(), async (scenario, seed) => {
        const report = await runScenario(scenario, createInMemoryEventStore(), seed);
        const all = states(report);
        for (const [revision, s] of all.entries()) expect(violations(s, report.definition), `revision ${revision}`).toEqual([]);
        for (const revision of report.boundaries) {
          const s = all[revision] as SagaState;
          expect(canContinue(report.definition, s, s.updatedAt), `revision ${revision} (${s.status})`).toBe(true);
        }
        const final = all.at(-1) as SagaState;
        expect(isTerminal(final)).toBe(true);
        expect(valid(final, report.definition)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('no step runs its action again after its success was recorded (with and without refused appends)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(scenarioArb, refusingScenarioArb), fc.integer(), async (scenario, seed) => {
        const report = await runScenario(scenario, createInMemoryEventStore(), seed);
        expect(report.ledger.rerunsAfterSuccess).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });
});
