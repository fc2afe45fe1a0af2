/**
 * Issue 9, items 4, 5 and 8: the engine boundary is typed by the definition, any Standard
 * Schema validator works (valibot, zod/mini, a hand-written one: no `instanceof zod`), and the
 * public surface says what it does (PayloadTooLargeError, outputs() with its errors, events()).
 * The `@ts-expect-error` lines are checked by `tsc --noEmit`, part of `npm test`.
 */
import * as v from 'valibot';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import * as zm from 'zod/mini';
import { createEngine, createInMemoryEventStore, defineSaga, PermanentError } from '../../../src/index.js';
import type { Engine, SagaId, StandardSchemaV1 } from '../../../src/index.js';

const order = defineSaga({ name: 'order', input: z.object({ orderId: z.string(), qty: z.number().int().default(1) }) })
  .step('reserve', { run: ({ input }) => ({ reservationId: `r-${input.orderId}`, qty: input.qty }) })
  .step('ship', { output: z.object({ trackingNo: z.string() }), run: () => ({ trackingNo: 'T1' }) });

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

describe('the typed engine boundary', () => {
  it('start(definition, input) checks the input at compile time, and result() is typed with its outputs', async () => {
    engine = await createEngine({ store: createInMemoryEventStore(), sagas: [order] });
    // The schema's input type: `qty` has a default, so it may be left out.
    const started = await engine.start(order, { orderId: 'o1' });
    expectTypeOf(started.sagaId).toEqualTypeOf<SagaId<{ reserve: { reservationId: string; qty: number } } & { ship: { trackingNo: string } }>>();
    const result = await engine.result(started.sagaId);
    if (result.status !== 'completed') throw new Error(`expected completed, got ${result.status}`);
    expectTypeOf(result.outputs.ship.trackingNo).toEqualTypeOf<string>();
    expect(result.outputs).toEqual({ reserve: { reservationId: 'r-o1', qty: 1 }, ship: { trackingNo: 'T1' } });
    // @ts-expect-error a number is not a string: the compiler refuses the call
    await expect(engine.start(order, { orderId: 42 })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    // @ts-expect-error `ship` has no `weight`
    void result.outputs.ship.weight;
  });

  it('keeps the string-name form for dynamic callers, and refuses a definition it does not run', async () => {
    engine = await createEngine({ store: createInMemoryEventStore(), sagas: [order] });
    const { sagaId } = await engine.start('order', { orderId: 'o2' });
    expect((await engine.outputs<{ ship: { trackingNo: string } }>(sagaId)).ship.trackingNo).toBe('T1');
    const other = defineSaga({ name: 'other', input: z.object({}) }).step('a', { run: () => 1 });
    await expect(engine.start(other, {})).rejects.toMatchObject({ code: 'SAGA_UNKNOWN', message: expect.stringContaining('Register it with createEngine') });
  });

  it('names a duplicate step in the compile error (a message type, not never)', () => {
    const saga = defineSaga({ name: 'dup', input: z.object({}) }).step('a', { run: () => 1 });
    // @ts-expect-error Argument of type '"a"' is not assignable to parameter of type '"step \"a\" is already defined in this saga: step names must be unique"'
    expect(() => saga.step('a', { run: () => 2 })).toThrow('duplicate step name "a"');
    type Name = Parameters<typeof saga.step<'a', number>>[0];
    expectTypeOf<Name>().toEqualTypeOf<'step "a" is already defined in this saga: step names must be unique'>();
  });
});

describe('any Standard Schema v1 validator', () => {
  async function completes(input: StandardSchemaV1, good: unknown, bad: unknown): Promise<void> {
    const saga = defineSaga({ name: 'any', input }).step('echo', { run: ({ input: i }) => i });
    engine = await createEngine({ store: createInMemoryEventStore(), sagas: [saga] });
    const { sagaId } = await engine.start(saga, good as never);
    expect(await engine.outputs(sagaId)).toEqual({ echo: good });
    await expect(engine.start(saga, bad as never)).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining('Nothing was started') });
    await engine.close();
    engine = undefined;
  }

  it('valibot', async () => {
    const schema = v.object({ sku: v.string(), qty: v.pipe(v.number(), v.minValue(1)) });
    const saga = defineSaga({ name: 'valibot', input: schema }).step('a', { run: ({ input }) => input.qty });
    expectTypeOf<Parameters<typeof saga.step>[1]['run']>().parameter(0).toHaveProperty('input').toEqualTypeOf<{ sku: string; qty: number }>();
    await completes(schema, { sku: 'A', qty: 2 }, { sku: 'A', qty: 0 });
  });

  it('zod/mini, whose schemas are not instances of zod classic ZodType (as another copy of zod would not be)', async () => {
    await completes(zm.object({ id: zm.string() }), { id: 'x' }, { id: 1 });
  });

  it('a hand-written validator, async', async () => {
    const even: StandardSchemaV1<number> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: async (value) =>
          typeof value === 'number' && value % 2 === 0 ? { value } : { issues: [{ message: 'must be an even number', path: [{ key: 'n' }] }] },
      },
    };
    await completes(even, 4, 3);
    const saga = defineSaga({ name: 'even', input: even }).step('a', { run: () => 1 });
    engine = await createEngine({ store: createInMemoryEventStore(), sagas: [saga] });
    await expect(engine.start(saga, 3)).rejects.toThrow('Invalid input for saga "even": n: must be an even number. Nothing was started.');
  });

  it('validates step outputs with any validator too, and refuses what is not a validator', async () => {
    const saga = defineSaga({ name: 'out', input: v.object({}) }).step('a', { output: v.object({ n: v.number() }), run: () => ({ n: 'one' }) as never });
    engine = await createEngine({ store: createInMemoryEventStore(), sagas: [saga] });
    const { sagaId } = await engine.start(saga, {});
    const result = await engine.result(sagaId);
    expect(result).toMatchObject({ status: 'compensated', failure: { step: 'a', code: 'OUTPUT_INVALID' } });
    expect(() => defineSaga({ name: 'x', input: { parse: () => 1 } as never })).toThrow(/input must be a Standard Schema v1 validator/);
    expect(() => defineSaga({ name: 'x', input: v.object({}) }).step('a', { run: () => 1, output: {} as never })).toThrow(
      /output must be a Standard Schema v1 validator/,
    );
  });
});

describe('a public surface that says what it does', () => {
  it('an oversized step output fails as PayloadTooLargeError (code PAYLOAD_TOO_LARGE), classified permanent: the saga compensates', async () => {
    let undone = 0;
    const saga = defineSaga({ name: 'big', input: z.object({}) })
      .step('first', { run: () => 1, compensate: () => void undone++ })
      .step('huge', { run: () => 'x'.repeat(2_000_000) });
    engine = await createEngine({ store: createInMemoryEventStore(), sagas: [saga] });
    const { sagaId } = await engine.start(saga, {});
    const result = await engine.result(sagaId);
    expect(result).toMatchObject({ status: 'compensated', failure: { step: 'huge', kind: 'permanent', code: 'PAYLOAD_TOO_LARGE' } });
    expect(undone).toBe(1);
    const failed = (await engine.events(sagaId)).find((e) => e.type === 'StepFailed');
    expect(failed?.data).toMatchObject({ attempt: 1, error: { name: 'PayloadTooLargeError', code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('outputs() resolves for a completed saga, rejects with SagaCompensatedError or SagaParkedError otherwise', async () => {
    const saga = defineSaga({ name: 'o', input: z.object({ fail: z.enum(['no', 'permanent', 'stuck']) }) })
      .step('a', {
        run: () => 1,
        compensate: ({ input }) => {
          if (input.fail === 'stuck') throw new PermanentError('refund service gone');
        },
        compensationRetry: { maxAttempts: 1 },
      })
      .step('b', {
        run: ({ input }) => {
          if (input.fail !== 'no') throw new PermanentError('card declined');
          return 2;
        },
      });
    engine = await createEngine({ store: createInMemoryEventStore(), sagas: [saga] });
    const ok = await engine.start(saga, { fail: 'no' });
    expect(await engine.outputs(ok.sagaId)).toEqual({ a: 1, b: 2 });
    const rolledBack = await engine.start(saga, { fail: 'permanent' });
    await expect(engine.outputs(rolledBack.sagaId)).rejects.toMatchObject({
      name: 'SagaCompensatedError',
      code: 'SAGA_COMPENSATED',
      details: { sagaId: rolledBack.sagaId, compensated: ['a'] },
    });
    const parked = await engine.start(saga, { fail: 'stuck' });
    await expect(engine.outputs(parked.sagaId)).rejects.toMatchObject({
      name: 'SagaParkedError',
      code: 'SAGA_PARKED',
      message: expect.stringContaining('resume it'),
    });
  });

  it('events(sagaId) returns the recorded events without touching the store; an unknown id is SagaNotFoundError', async () => {
    engine = await createEngine({ store: createInMemoryEventStore(), sagas: [order] });
    const { sagaId } = await engine.start(order, { orderId: 'o3' });
    await engine.result(sagaId);
    const events = await engine.events(sagaId);
    expect(events.map((e) => e.type)).toEqual(['SagaStarted', 'StepStarted', 'StepSucceeded', 'StepStarted', 'StepSucceeded', 'SagaCompleted']);
    expect(events.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5]);
    await expect(engine.events('0190f6c2-0000-7000-8000-000000000000')).rejects.toMatchObject({ code: 'SAGA_NOT_FOUND' });
  });

  it('kill() is not on the engine: crash simulation lives in the test kit (killEngine)', async () => {
    engine = await createEngine({ store: createInMemoryEventStore(), sagas: [order] });
    expect('kill' in engine).toBe(false);
    const kit = await import('../../../src/testing/index.js');
    expect(typeof kit.killEngine).toBe('function');
  });
});
