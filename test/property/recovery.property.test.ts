/**
 * The theorem, checked on the real engine: for random saga shapes × random fault schedules
 * (transient, permanent, partial, timeout, crashes before/after effects and appends,
 * compensation failures, cancellation), run with a virtual clock and restarts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canContinue, fold, isTerminal, recover, valid, violations } from '../../src/core/index.js';
import type { FailureKind, SagaEvent, SagaState } from '../../src/core/index.js';
import { parseSagaEvent } from '../../src/core/events.js';
import { createInMemoryEventStore } from '../../src/stores/inMemory/index.js';
import { faultFreeScenarioArb, runScenario, scenarioArb } from '../../src/testing/index.js';
import type { ScenarioReport } from '../../src/testing/index.js';
import { propertyRuns } from '../support/propertyRuns.js';

const RUNS = propertyRuns(1_000);

function parsed(report: ScenarioReport): SagaEvent[] {
  return report.events.map((e) => parseSagaEvent(e, { streamId: e.streamId, revision: e.revision }));
}

/** Every prefix's state, by revision. */
function prefixStates(events: SagaEvent[]): SagaState[] {
  const states: SagaState[] = [];
  let state: SagaState | undefined;
  for (const event of events) {
    state = fold([event], state);
    states.push(state as SagaState);
  }
  return states;
}

async function run(scenario: Parameters<typeof runScenario>[0], seed: number): Promise<ScenarioReport> {
  return runScenario(scenario, createInMemoryEventStore(), seed);
}

describe('recovery under random faults (engine, in-memory store, virtual clock)', () => {
  it('every folded state along every stream is valid', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.integer(), async (scenario, seed) => {
        const report = await run(scenario, seed);
        const states = prefixStates(parsed(report));
        for (const [revision, s] of states.entries()) expect(violations(s, report.definition), `revision ${revision}`).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('every state a crash could leave behind (after each append) canContinue, and every run ends terminal and consistent', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.integer(), async (scenario, seed) => {
        const report = await run(scenario, seed);
        const states = prefixStates(parsed(report));
        for (const revision of report.boundaries) {
          const s = states[revision] as SagaState;
          expect(canContinue(report.definition, s, s.updatedAt), `revision ${revision} (${s.status})`).toBe(true);
        }
        const final = states.at(-1) as SagaState;
        expect(isTerminal(final)).toBe(true);
        expect(valid(final, report.definition)).toBe(true);
        if (final.status === 'failed') expect(final.needsAttention).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('compensations ran in exact reverse order of the completed steps, and no effect outlives a saga that did not complete', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.integer(), async (scenario, seed) => {
        const report = await run(scenario, seed);
        const final = prefixStates(parsed(report)).at(-1) as SagaState;
        const applied = report.ledger.log.filter((e) => e.op === 'apply').map((e) => e.step);
        const compensated = report.ledger.log.filter((e) => e.op === 'compensate').map((e) => e.step);
        expect(compensated).toEqual([...applied].reverse().slice(0, compensated.length));
        // Compensations never precede the last apply: backward recovery starts after forward ends.
        const lastApply = report.ledger.log.map((e) => e.op).lastIndexOf('apply');
        const firstCompensate = report.ledger.log.map((e) => e.op).indexOf('compensate');
        if (firstCompensate >= 0) expect(firstCompensate).toBeGreaterThan(lastApply);
        if (final.status === 'completed') {
          expect([...report.ledger.active].sort()).toEqual(final.succeeded.filter((n) => final.steps.find((s) => s.name === n)?.compensable).sort());
        } else if (final.status === 'compensated') {
          expect([...report.ledger.active]).toEqual([]);
        } else {
          const pending = final.compensation ? final.compensation.plan.slice(final.compensation.done.length) : [];
          for (const step of report.ledger.active) expect(pending).toContain(step);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('no attempt of a step or compensation has two recorded outcomes', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.integer(), async (scenario, seed) => {
        const report = await run(scenario, seed);
        const seen = new Set<string>();
        for (const e of parsed(report)) {
          if (e.type === 'StepSucceeded' || e.type === 'StepFailed' || e.type === 'CompensationSucceeded' || e.type === 'CompensationFailed') {
            const key = `${e.type.startsWith('Step') ? 'step' : 'comp'}/${e.data.step}/${e.data.attempt}`;
            expect(seen.has(key), key).toBe(false);
            seen.add(key);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('without crashes, every started attempt records exactly one outcome (a conflict never re-runs a step)', async () => {
    const noCrash = scenarioArb.map((s) => ({
      ...s,
      crashAfterAppends: [],
      steps: s.steps.map((st) => ({
        ...st,
        faults: st.faults.map((f) => (f === 'crashAfter' || f === 'crashBefore' ? 'transient' : f)),
        compensationFaults: st.compensationFaults.map((f) => (f === 'crash' ? 'fail' : f)),
      })),
    }));
    await fc.assert(
      fc.asyncProperty(noCrash, fc.integer(), async (scenario, seed) => {
        const report = await run(scenario, seed);
        const count = (types: string[]) => parsed(report).filter((e) => types.includes(e.type)).length;
        expect(count(['StepStarted'])).toBe(count(['StepSucceeded', 'StepFailed']));
        expect(count(['CompensationStarted'])).toBe(count(['CompensationSucceeded', 'CompensationFailed']));
        expect(report.restarts).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('folding the stored stream again gives the state the engine loads (snapshot + tail)', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.integer(), async (scenario, seed) => {
        const report = await run(scenario, seed);
        const events = parsed(report);
        expect(report.loadedState).toEqual(fold(events));
        expect(fold(events)).toEqual(fold(events));
      }),
      { numRuns: RUNS },
    );
  });

  it('a saga of n steps without faults costs exactly n + 1 appends', async () => {
    await fc.assert(
      fc.asyncProperty(faultFreeScenarioArb, fc.integer(), async (scenario, seed) => {
        const report = await run(scenario, seed);
        expect(report.appends).toBe(scenario.steps.length + 1);
        expect(report.events.at(-1)?.type).toBe('SagaCompleted');
      }),
      { numRuns: RUNS },
    );
  });

  it('theorem: for every reachable state s with an attempt in flight and every failure kind f, valid(R(f, s)) and canContinue(R(f, s))', async () => {
    const kinds: FailureKind[] = ['transient', 'permanent', 'partial'];
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.integer(), fc.double({ min: 0, max: 0.999, noNaN: true }), async (scenario, seed, random) => {
        const report = await run(scenario, seed);
        for (const s of prefixStates(parsed(report))) {
          if (!s.inFlight) continue;
          for (const kind of kinds) {
            const f = { phase: s.inFlight.phase, step: s.inFlight.step, attempt: s.inFlight.attempt, kind, error: { name: 'E', code: 'E', message: kind } };
            const now = s.updatedAt + 10;
            const next = fold(recover(report.definition, s, f, { now, random }), s) as SagaState;
            expect(violations(next, report.definition), `${kind} on ${f.phase} ${f.step}#${f.attempt}`).toEqual([]);
            expect(canContinue(report.definition, next, now)).toBe(true);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});
