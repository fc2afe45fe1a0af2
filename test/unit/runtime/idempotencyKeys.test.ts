/**
 * Idempotency keys as Stripe's: the same key with the same input returns the same saga; with a
 * different input it is a typed error (nothing is started, nothing is changed); an empty or
 * oversized key is refused before anything is appended.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEngine, defineSaga, ErrorCode, IdempotencyKeyInvalidError, IdempotencyKeyReusedError } from '../../../src/index.js';
import type { Engine } from '../../../src/index.js';
import { createInMemoryEventStore } from '../../../src/stores/inMemory/index.js';

const order = defineSaga({ name: 'order', input: z.object({ sku: z.string(), qty: z.number(), note: z.string().optional() }) }).step('reserve', {
  run: () => 'ok',
});
let engine: Engine | undefined;
afterEach(async () => engine?.close({ graceMs: 0 }));

describe.each([true, false])('idempotency keys (runSagas: %s)', (runSagas) => {
  it('the same key and the same input (keys in any order) return the same saga, created: false', async () => {
    engine = await createEngine({ store: createInMemoryEventStore(), sagas: [order], runSagas });
    const first = await engine.start('order', { sku: 'a', qty: 1 }, { idempotencyKey: 'order-42' });
    const again = await engine.start('order', { qty: 1, sku: 'a' }, { idempotencyKey: 'order-42' });
    expect(first.created).toBe(true);
    expect(again).toEqual({ ...first, created: false });
  });

  it('the same key with a different input is IdempotencyKeyReusedError, and the saga is untouched', async () => {
    const store = createInMemoryEventStore();
    engine = await createEngine({ store, sagas: [order], runSagas });
    const first = await engine.start('order', { sku: 'a', qty: 1 }, { idempotencyKey: 'order-42' });
    const before = await store.readAll();
    const error = await engine.start('order', { sku: 'a', qty: 2 }, { idempotencyKey: 'order-42' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyKeyReusedError);
    expect((error as IdempotencyKeyReusedError).code).toBe(ErrorCode.IdempotencyKeyReused);
    expect((error as Error).message).toContain('order-42');
    expect((error as IdempotencyKeyReusedError).details).toMatchObject({ sagaId: first.sagaId, idempotencyKey: 'order-42' });
    await engine.idle();
    expect((await store.readAll()).slice(0, before.length)).toEqual(before);
    expect((await store.readAll()).filter((e) => e.type === 'SagaStarted')).toHaveLength(1);
  });

  it('an empty or oversized key is refused with IdempotencyKeyInvalidError and appends nothing', async () => {
    const store = createInMemoryEventStore();
    engine = await createEngine({ store, sagas: [order], runSagas });
    await expect(engine.start('order', { sku: 'a', qty: 1 }, { idempotencyKey: '' })).rejects.toBeInstanceOf(IdempotencyKeyInvalidError);
    await expect(engine.start('order', { sku: 'a', qty: 1 }, { idempotencyKey: 'k'.repeat(256) })).rejects.toBeInstanceOf(IdempotencyKeyInvalidError);
    await expect(engine.start('order', { sku: 'a', qty: 1 }, { idempotencyKey: 'k'.repeat(255) })).resolves.toMatchObject({ created: true });
    expect((await store.readAll()).filter((e) => e.type === 'SagaStarted')).toHaveLength(1);
  });
});
