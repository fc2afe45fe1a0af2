/**
 * The theorem, checked on the real engine: for random saga shapes × random fault schedules
 * (transient, permanent, partial, timeout, crashes before/after effects and appends,
 * compensation failures, cancellation), run with a virtual clock and restarts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attemptsInFlight, canContinue, fold, isTerminal, recover, valid, violations } from '../../src/core/index.js';
import type { FailureKind, SagaEvent, SagaState } from '../../src/core/index.js';
import { parseSagaEvent } from '../../src/core/events.js';
import { createInMemoryEventStore } from '../../src/stores/inMemory/index.js';
import { faultFreeScenarioArb, parallelScenarioArb, runScenario, scenarioArb } from '../../src/testing/index.js';
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

const PARALLEL_RUNS = propertyRuns(300);

/**
 * The documented compensation order, computed from the stream alone: the steps whose effect may
 * be in force (a success, or a partial failure of a branch), in the order their outcomes were
 * recorded; branches of a group may record theirs in any order, steps of different places in
 * definition order. Compensations must run in the reverse of this order.
 */
function documentedOrder(events: SagaEvent[]): string[] {
  const order: string[] = [];
  const started = events[0];
  const shapes = started?.type === 'SagaStarted' ? started.data.steps : [];
  for (const e of events) {
    if (e.type === 'CompensationPlanned') break;
    const branch = (step: string) => shapes.find((s) => s.name === step)?.parallel !== undefined;
    if (e.type === 'StepSucceeded' || (e.type === 'StepFailed' && e.data.kind === 'partial' && branch(e.data.step))) order.push(e.data.step);
    if (e.type === 'StepFailed' && e.data.kind === 'partial' && !branch(e.data.step)) order.push(e.data.step);
  }
  return [...new Set(order)];
}

describe('parallel groups under random faults (engine, in-memory store, virtual clock)', () => {
  it('every folded state along every stream is valid (group rules included), every append boundary canContinue, and every run ends terminal', async () => {
    await fc.assert(
      fc.asyncProperty(parallelScenarioArb, fc.integer(), async (scenario, seed) => {
        const report = await run(scenario, seed);
        const states = prefixStates(parsed(report));
        for (const [revision, s] of states.entries()) expect(violations(s, report.definition), `revision ${revision}`).toEqual([]);
        for (const revision of report.boundaries) {
          const s = states[revision] as SagaState;
          expect(canContinue(report.definition, s, s.updatedAt), `revision ${revision} (${s.status})`).toBe(true);
        }
        const final = states.at(-1) as SagaState;
        expect(isTerminal(final)).toBe(true);
        expect(report.loadedState).toEqual(fold(parsed(report)));
      }),
      { numRuns: PARALLEL_RUNS },
    );
  });

  it('no branch is left running after its saga ends: nothing in flight, no branch running, and without crashes every started attempt recorded an outcome', async () => {
    await fc.assert(
      fc.asyncProperty(parallelScenarioArb, fc.integer(), async (scenario, seed) => {
        const report = await run(scenario, seed);
        const events = parsed(report);
        const final = fold(events) as SagaState;
        expect(final.parallel?.inFlight ?? []).toEqual([]);
        expect(final.steps.filter((s) => s.parallel && s.status === 'running').map((s) => s.name)).toEqual([]);
        // Backward recovery starts only once every branch reported: no apply after a compensation.
        const ops = report.ledger.log.map((e) => e.op);
        if (ops.includes('compensate')) expect(ops.indexOf('compensate')).toBeGreaterThan(ops.lastIndexOf('apply'));
        if (report.restarts === 0) {
          const count = (types: string[]) => events.filter((e) => types.includes(e.type)).length;
          expect(count(['StepStarted'])).toBe(count(['StepSucceeded', 'StepFailed']));
        }
      }),
      { numRuns: PARALLEL_RUNS },
    );
  });

  it('theorem, per attempt: for every state s after an append, every attempt in flight (a branch among several) and every failure kind f, valid(R(f, s)) and canContinue(R(f, s))', async () => {
    const kinds: FailureKind[] = ['transient', 'permanent', 'partial'];
    await fc.assert(
      fc.asyncProperty(parallelScenarioArb, fc.integer(), fc.double({ min: 0, max: 0.999, noNaN: true }), async (scenario, seed, random) => {
        const report = await run(scenario, seed);
        const states = prefixStates(parsed(report));
        // The states a worker can load: after an append (inside one, a branch's StepFailed precedes its RetryScheduled).
        for (const s of report.boundaries.map((revision) => states[revision] as SagaState)) {
          for (const a of attemptsInFlight(s)) {
            for (const kind of kinds) {
              const f = { phase: a.phase, step: a.step, attempt: a.attempt, kind, error: { name: 'E', code: 'E', message: kind } };
              const now = s.updatedAt + 10;
              const next = fold(recover(report.definition, s, f, { now, random }), s) as SagaState;
              expect(violations(next, report.definition), `${kind} on ${f.phase} ${f.step}#${f.attempt}`).toEqual([]);
              expect(canContinue(report.definition, next, now)).toBe(true);
            }
          }
        }
      }),
      { numRuns: PARALLEL_RUNS },
    );
  });

  it("a group's compensations run in reverse of the order its outcomes were recorded, then the earlier steps in reverse (the documented rule, from the stream)", async () => {
    await fc.assert(
      fc.asyncProperty(parallelScenarioArb, fc.integer(), async (scenario, seed) => {
        const report = await run(scenario, seed);
        const events = parsed(report);
        const compensable = new Set(scenario.steps.filter((s) => s.compensable).map((s) => s.name));
        const expected = documentedOrder(events)
          .filter((name) => compensable.has(name))
          .reverse();
        const plan = events.find((e) => e.type === 'CompensationPlanned');
        if (plan?.type !== 'CompensationPlanned') return;
        expect(plan.data.plan).toEqual(expected);
        const ran = events.flatMap((e) => (e.type === 'CompensationSucceeded' ? [e.data.step] : []));
        expect(ran).toEqual(expected.slice(0, ran.length));
        const undone = report.ledger.log.filter((e) => e.op === 'compensate').map((e) => e.step);
        expect(undone).toEqual(expected.filter((name) => undone.includes(name)));
      }),
      { numRuns: PARALLEL_RUNS },
    );
  });
});
