/** `.waitFor(name, { signal, payload, timeoutMs })`: validated at definition time; the timeout's classification is fixed there. */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineSaga, TransientError } from '../../../src/index.js';
import type { SagaOutputs } from '../../../src/index.js';

const base = () => defineSaga({ name: 'waits', input: z.object({}) }).step('first', { run: () => 1 });
const payload = z.object({ by: z.string() });

describe('.waitFor', () => {
  it('records the signal, the timeout and its classification (permanent by default) on the step', () => {
    const saga = base().waitFor('approval', { signal: 'approved', payload, timeoutMs: 5_000 });
    const step = saga.steps[1];
    expect(step?.signal).toMatchObject({ name: 'approved', timeoutMs: 5_000, timeoutKind: 'permanent' });
    expect(step?.compensable).toBe(false);
    expectTypeOf<SagaOutputs<typeof saga>>().toEqualTypeOf<{ first: number } & { approval: { by: string } }>();
  });

  it("asks the step's classifier, then the saga's, once at definition time", () => {
    const transient = base().waitFor('a', {
      signal: 's',
      payload,
      timeoutMs: 1,
      classify: (e) => (e instanceof Error && e.name === 'SignalTimeoutError' ? 'transient' : undefined),
    });
    expect(transient.steps[1]?.signal?.timeoutKind).toBe('transient');
    const bySaga = defineSaga({ name: 'x', input: z.object({}), classify: () => 'partial' }).waitFor('a', { signal: 's', payload, timeoutMs: 1 });
    expect(bySaga.steps[0]?.signal?.timeoutKind).toBe('partial');
    // A classifier for other errors leaves the timeout to the default.
    const other = base().waitFor('a', { signal: 's', payload, timeoutMs: 1, classify: (e) => (e instanceof TransientError ? 'permanent' : undefined) });
    expect(other.steps[1]?.signal?.timeoutKind).toBe('permanent');
  });

  it('a compensation makes the waiting step compensable; later steps see the payload typed', () => {
    const saga = base()
      .waitFor('approval', { signal: 'approved', payload, timeoutMs: 5_000, compensate: (ctx) => void ctx.output?.by })
      .step('after', { run: (ctx) => ctx.outputs.approval.by.length });
    expect(saga.steps[1]?.compensable).toBe(true);
  });

  it('refuses a bad signal name, a payload that is not a schema, a timeout that is not a positive number, a duplicate step name', () => {
    expect(() => base().waitFor('a', { signal: 'has space', payload, timeoutMs: 1 })).toThrow(/signal must be 1-100 characters/);
    expect(() => base().waitFor('a', { signal: 's', payload: {} as never, timeoutMs: 1 })).toThrow(/payload must be a Standard Schema v1 validator/);
    expect(() => base().waitFor('a', { signal: 's', payload, timeoutMs: 0 })).toThrow(/timeoutMs must be a positive number of ms/);
    expect(() => base().waitFor('a', { signal: 's', payload, timeoutMs: Number.NaN })).toThrow(/timeoutMs must be a positive number/);
    expect(() => base().waitFor('first' as never, { signal: 's', payload, timeoutMs: 1 })).toThrow(/duplicate step name "first"/);
    expect(() => base().waitFor('a', { signal: 's', payload, timeoutMs: 1, retry: { maxAttempts: 0 } })).toThrow(/retry\.maxAttempts/);
    try {
      base().waitFor('a', { signal: 's', payload, timeoutMs: -1 });
    } catch (error) {
      expect(error).toMatchObject({ code: 'DEFINITION_INVALID', details: { field: 'timeoutMs' } });
    }
  });
});
