/** fast-check arbitraries of saga shapes and fault schedules (fast-check is a peer dependency of `sagaflow/testing`). */
import fc from 'fast-check';
import type { RetryPolicy } from '../core/retryPolicy.js';
import type { AppendRefusal, AttemptFault, CompensationFault, Scenario, StepScenario } from './scenario.js';
import type { SignalScenario, SignalScenarioInput, SignalStepScenario } from './signalScenario.js';

/** fast-check arbitrary of valid retry policies, small enough (at most 4 attempts) for fast scenarios. */
export const retryPolicyArb: fc.Arbitrary<RetryPolicy> = fc
  .record({
    immediateAttempts: fc.integer({ min: 0, max: 2 }),
    maxAttempts: fc.integer({ min: 1, max: 4 }),
    maxElapsedMs: fc.constantFrom(300, 60_000, 10_000_000),
    initialDelayMs: fc.integer({ min: 0, max: 500 }),
    backoff: fc.constantFrom(1, 1.5, 2, 3),
    extraDelayMs: fc.integer({ min: 0, max: 5_000 }),
    jitter: fc.constantFrom('full' as const, 'none' as const),
  })
  .map(({ extraDelayMs, ...p }) => ({ ...p, maxDelayMs: p.initialDelayMs + extraDelayMs }));

const attemptFaultArb: fc.Arbitrary<AttemptFault> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('ok' as const) },
  { weight: 3, arbitrary: fc.constant('transient' as const) },
  { weight: 1, arbitrary: fc.constant('permanent' as const) },
  { weight: 1, arbitrary: fc.constant('partial' as const) },
  { weight: 1, arbitrary: fc.constant('timeout' as const) },
  { weight: 1, arbitrary: fc.constant('crashBefore' as const) },
  { weight: 1, arbitrary: fc.constant('crashAfter' as const) },
);

const compensationFaultArb: fc.Arbitrary<CompensationFault> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('ok' as const) },
  { weight: 3, arbitrary: fc.constant('fail' as const) },
  { weight: 1, arbitrary: fc.constant('failPermanent' as const) },
  { weight: 1, arbitrary: fc.constant('crash' as const) },
);

const stepArb = (index: number): fc.Arbitrary<StepScenario> =>
  fc.record({
    name: fc.constant(`s${index}`),
    optional: fc.boolean(),
    compensable: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    checkpoint: fc.boolean(),
    retry: retryPolicyArb,
    compensationRetry: retryPolicyArb,
    faults: fc.array(attemptFaultArb, { maxLength: 4 }),
    compensationFaults: fc.array(compensationFaultArb, { maxLength: 4 }),
  });

/** A saga of 1–8 steps with random policies, optional steps, missing compensations and faults. */
export const scenarioArb: fc.Arbitrary<Scenario> = fc.integer({ min: 1, max: 8 }).chain((n) =>
  fc.record({
    steps: fc.tuple(...Array.from({ length: n }, (_, i) => stepArb(i))),
    checkpointEvery: fc.integer({ min: 2, max: 12 }),
    crashAfterAppends: fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { maxLength: 3 }),
    cancelAfterAppend: fc.option(fc.integer({ min: 1, max: 12 }), { nil: null, freq: 5 }),
  }),
);

/** A scenario where nothing goes wrong (for the n + 1 appends property). */
export const faultFreeScenarioArb: fc.Arbitrary<Scenario> = scenarioArb.map((s) => ({
  ...s,
  steps: s.steps.map((step) => ({ ...step, faults: [], compensationFaults: [] })),
  crashAfterAppends: [],
  cancelAfterAppend: null,
}));

/**
 * Up to three append calls the store refuses for good, at least three calls apart (so the
 * engine's fallback, the park, gets through), never the saga's first append.
 */
const appendRefusalsArb: fc.Arbitrary<AppendRefusal[]> = fc
  .array(fc.record({ gap: fc.integer({ min: 0, max: 8 }), kind: fc.constantFrom('tooLarge' as const, 'invalid' as const, 'bug' as const) }), {
    minLength: 1,
    maxLength: 3,
  })
  .map((items) => {
    let at = -1;
    return items.map(({ gap, kind }) => {
      at = at < 0 ? 2 + gap : at + 3 + gap;
      return { at, kind };
    });
  });

/** A scenario whose store also refuses some appends for good. */
export const refusingScenarioArb: fc.Arbitrary<Scenario> = fc.tuple(scenarioArb, appendRefusalsArb).map(([s, refuseAppends]) => ({ ...s, refuseAppends }));

/**
 * A saga of 2–8 steps where a run of 2–4 consecutive steps forms a parallel group with a
 * concurrency limit of 1 up to its size: the branches keep their random policies and faults.
 */
export const parallelScenarioArb: fc.Arbitrary<Scenario> = scenarioArb
  .filter((s) => s.steps.length >= 2)
  .chain((s) =>
    fc.integer({ min: 0, max: s.steps.length - 2 }).chain((from) =>
      fc.integer({ min: 2, max: Math.min(4, s.steps.length - from) }).chain((size) =>
        fc.integer({ min: 1, max: size }).map((concurrency) => ({
          ...s,
          steps: s.steps.map((step, i) => (i >= from && i < from + size ? { ...step, parallel: { group: 'g', concurrency } } : step)),
        })),
      ),
    ),
  );

/** The signal names and ids signal scenarios draw from: few, so that repeats and matches are common. */
const SIGNAL_NAMES = ['go', 'ok'] as const;
const SIGNAL_IDS = ['a', 'b', 'c', 'd'] as const;

const signalStepArb = (index: number): fc.Arbitrary<SignalStepScenario> =>
  fc.record({
    name: fc.constant(`s${index}`),
    signal: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...SIGNAL_NAMES) }, { weight: 2, arbitrary: fc.constant(null) }),
    timeoutKind: fc.constantFrom('permanent' as const, 'transient' as const),
    optional: fc.boolean(),
    compensable: fc.boolean(),
  });

const signalInputArb: fc.Arbitrary<SignalScenarioInput> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      type: fc.constant('send' as const),
      signalId: fc.constantFrom(...SIGNAL_IDS),
      name: fc.constantFrom(...SIGNAL_NAMES),
      via: fc.constantFrom('client' as const, 'worker' as const),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('outcome' as const),
      kind: fc.constantFrom('ok' as const, 'ok' as const, 'transient' as const, 'permanent' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('advance' as const), ms: fc.constantFrom(5, 10, 60, 100, 150) }) },
  { weight: 1, arbitrary: fc.constant({ type: 'cancel' as const }) },
);

/**
 * A saga of 1–5 steps, most of them waiting for one of two signals, and up to 30 inputs:
 * signals sent in any order, with repeated ids (and repeated ids with another name), by a
 * client or to the worker, interleaved with attempt outcomes, time passing and a cancel.
 */
export const signalScenarioArb: fc.Arbitrary<SignalScenario> = fc.integer({ min: 1, max: 5 }).chain((n) =>
  fc.record({
    steps: fc.tuple(...Array.from({ length: n }, (_, i) => signalStepArb(i))),
    inputs: fc.array(signalInputArb, { maxLength: 30 }),
  }),
);
