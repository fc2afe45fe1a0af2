import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { DefinitionError, defineSaga, assertRunnable, DEFAULT_RETRY_POLICY } from '../../../src/index.js';

const input = z.object({ orderId: z.string() });

describe('defineSaga', () => {
  it('later steps see earlier outputs with their types; optional steps may be missing', () => {
    defineSaga({ name: 'typed', input })
      .step('reserve', { output: z.object({ reservationId: z.string() }), run: () => ({ reservationId: 'r1' }) })
      .step('hotel', { optional: true, run: () => ({ room: 12 }) })
      .step('charge', {
        run: ({ input: i, outputs }) => {
          expectTypeOf(i.orderId).toEqualTypeOf<string>();
          expectTypeOf(outputs.reserve.reservationId).toEqualTypeOf<string>();
          expectTypeOf(outputs.hotel).toEqualTypeOf<{ room: number } | undefined>();
          // @ts-expect-error a step that does not exist yet
          void outputs.ship;
          return 1;
        },
      });
  });

  it('fills defaults and freezes the definition', () => {
    const saga = defineSaga({ name: 'd', input }).step('a', { run: () => 1 });
    expect(saga.version).toBe(1);
    expect(saga.steps[0]?.retry).toEqual(DEFAULT_RETRY_POLICY);
    expect(saga.steps[0]?.compensable).toBe(false);
    expect(Object.isFrozen(saga)).toBe(true);
  });

  it('rejects a duplicate step name', () => {
    const saga = defineSaga({ name: 'dup', input }).step('a', { run: () => 1 });
    // @ts-expect-error the type system refuses it too
    expect(() => saga.step('a', { run: () => 2 })).toThrow('saga "dup": duplicate step name "a"');
  });

  it('rejects a bad retry policy with a message naming the saga, the step and the field', () => {
    expect(() => defineSaga({ name: 'p', input }).step('charge', { run: () => 1, retry: { maxAttempts: 0 } })).toThrow(
      /saga "p" step "charge": retry.maxAttempts: /,
    );
    expect(() => defineSaga({ name: 'p', input }).step('charge', { run: () => 1, compensationRetry: { initialDelayMs: 500, maxDelayMs: 10 } })).toThrow(
      /compensationRetry.maxDelayMs: maxDelayMs must be >= initialDelayMs/,
    );
    expect(() => defineSaga({ name: 'p', input }).step('charge', { run: () => 1, retry: { jitter: 'sometimes' as never } })).toThrow(/retry.jitter/);
  });

  it('rejects bad names, versions, schemas, timeouts and a missing run', () => {
    expect(() => defineSaga({ name: 'has space', input })).toThrow(DefinitionError);
    expect(() => defineSaga({ name: 'v', version: 0, input })).toThrow(/version must be an integer >= 1/);
    expect(() => defineSaga({ name: 'v', input: {} as never })).toThrow(/input must be a Standard Schema v1 validator/);
    expect(() => defineSaga({ name: 'v', input }).step('a', { run: () => 1, timeoutMs: -5 })).toThrow(/timeoutMs must be a positive number/);
    expect(() => defineSaga({ name: 'v', input }).step('a', {} as never)).toThrow(/run must be a function/);
  });

  it('a saga without steps is refused at registration', () => {
    expect(() => assertRunnable(defineSaga({ name: 'empty', input }) as never)).toThrow(/has no steps/);
  });

  it('errors carry the stable code DEFINITION_INVALID and the field', () => {
    expect.assertions(2);
    try {
      defineSaga({ name: 'p', input }).step('charge', { run: () => 1, retry: { backoff: 0.5 } });
    } catch (e) {
      expect((e as DefinitionError).code).toBe('DEFINITION_INVALID');
      expect((e as DefinitionError).details['field']).toBe('retry.backoff');
    }
  });
});
