import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SAGA_EVENT_TYPES, delayCap, eventDataSchemas, nextDelay } from '../../src/core/index.js';
import { retryPolicyArb } from '../../src/testing/scenarioArbitraries.js';
import { propertyRuns } from '../support/propertyRuns.js';

const RUNS = propertyRuns(1_000);
const random = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('retry delays', () => {
  it('nextDelay is never negative and never exceeds maxDelayMs', () => {
    fc.assert(
      fc.property(retryPolicyArb, fc.integer({ min: 1, max: 200 }), random, (policy, attempt, r) => {
        const d = nextDelay(policy, attempt, r);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(policy.maxDelayMs);
        expect(Number.isInteger(d)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('with the same random draw, the delay is monotone in the attempt number (and so is its cap)', () => {
    fc.assert(
      fc.property(retryPolicyArb, fc.integer({ min: 1, max: 60 }), random, (policy, attempt, r) => {
        expect(delayCap(policy, attempt + 1)).toBeGreaterThanOrEqual(delayCap(policy, attempt));
        expect(nextDelay(policy, attempt + 1, r)).toBeGreaterThanOrEqual(nextDelay(policy, attempt, r));
      }),
      { numRuns: RUNS },
    );
  });

  it('the first immediateAttempts retries are immediate', () => {
    fc.assert(
      fc.property(retryPolicyArb, random, (policy, r) => {
        for (let a = 1; a <= policy.immediateAttempts; a++) expect(nextDelay(policy, a, r)).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('nextDelay is pure: the same inputs give the same delay', () => {
    fc.assert(
      fc.property(retryPolicyArb, fc.integer({ min: 1, max: 50 }), random, (policy, attempt, r) => {
        expect(nextDelay(policy, attempt, r)).toBe(nextDelay(policy, attempt, r));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('event schemas', () => {
  it('every event survives a JSON round trip through its zod schema unchanged', () => {
    const at = fc.integer({ min: 0, max: 2 ** 42 });
    const step = fc.string({ minLength: 1, maxLength: 10 });
    const attempt = fc.integer({ min: 1, max: 100 });
    const error = fc.record({ name: fc.string(), code: fc.string(), message: fc.string() });
    const json = fc.jsonValue();
    const samples: Record<string, fc.Arbitrary<unknown>> = {
      StepStarted: fc.record({ step, attempt, worker: fc.string(), leaseUntil: at, at }),
      StepSucceeded: fc.record({ step, attempt, output: json, at }),
      StepFailed: fc.record({ step, attempt, kind: fc.constantFrom('transient', 'permanent', 'partial'), exhausted: fc.boolean(), error, at }),
      RetryScheduled: fc.record({ phase: fc.constantFrom('step', 'compensation'), step, attempt, dueAt: at, at }),
      CompensationPlanned: fc.record({
        cause: fc.constantFrom('permanent', 'partial', 'exhausted', 'cancel'),
        failedStep: fc.option(step, { nil: null }),
        plan: fc.array(step),
        at,
      }),
    };
    expect(Object.keys(samples).every((t) => SAGA_EVENT_TYPES.includes(t as never))).toBe(true);
    for (const [type, arb] of Object.entries(samples)) {
      fc.assert(
        fc.property(arb, (data) => {
          const schema = eventDataSchemas[type as keyof typeof eventDataSchemas];
          const back = schema.parse(JSON.parse(JSON.stringify(data)));
          expect(JSON.stringify(back)).toBe(JSON.stringify(schema.parse(data)));
        }),
        { numRuns: Math.ceil(RUNS / 5) },
      );
    }
  });
});
