/**
 * Issue 11 item 2, child sagas, on the engine over the in-memory store: the shared cases
 * (test/support/childSagaCases.ts, also run on SQLite and PostgreSQL), plus what only needs
 * one store: registration, a standalone child, a cancelled parent, types.
 */
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createShipmentSaga, createShippedOrderSagas, SHIPMENT } from '../../../sagas/index.js';
import { childSagaId, createEngine, createInMemoryEventStore, DefinitionError, defineSaga, valid } from '../../../src/index.js';
import type { Engine, SagaOutputs } from '../../../src/index.js';
import { childSagaCases } from '../../support/childSagaCases.js';

const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close({ graceMs: 100 });
});
const c = { store: async () => createInMemoryEventStore(), engines };

describe('child sagas on the memory store', () => {
  childSagaCases(c);

  it('parents waiting for their children hold no drive slot: 12 parents on an engine of concurrency 2 all complete', async () => {
    const sagas = createShippedOrderSagas();
    const engine = await createEngine({ store: createInMemoryEventStore(), sagas: [sagas.order, sagas.shipment], concurrency: 2 });
    engines.push(engine);
    const started = Date.now();
    const ids = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => (await engine.start(sagas.order, { orderId: `o${i}`, sku: 's', quantity: 1, address: 'a' })).sagaId),
    );
    const results = await Promise.all(ids.map((id) => engine.result(id, { pollMs: 10 })));
    expect(results.map((r) => r.status)).toEqual(Array(12).fill('completed'));
    // Far below the 10 s a parent's attempt may wait: no attempt timed out waiting for a slot.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('createEngine refuses a parent whose child saga is not registered, naming it', async () => {
    const { order } = createShippedOrderSagas();
    await expect(createEngine({ store: createInMemoryEventStore(), sagas: [order] })).rejects.toThrow(DefinitionError);
    await expect(createEngine({ store: createInMemoryEventStore(), sagas: [order] })).rejects.toThrow(/child saga "shipment" version 1 is not registered/);
  });

  it('a child saga started on its own runs as before: no verdict steps, it completes', async () => {
    const shipment = createShipmentSaga();
    const engine = await createEngine({ store: createInMemoryEventStore(), sagas: [shipment] });
    engines.push(engine);
    const { sagaId } = await engine.start(shipment, { orderId: 'o', parcels: 1, address: 'a' });
    expect(await engine.result(sagaId)).toMatchObject({ status: 'completed' });
    const state = await engine.state(sagaId);
    expect(state.steps.map((s) => s.name)).toEqual(['pack', 'bookCarrier']);
    expect(state.parent).toBeUndefined();
  });

  it('a cancelled parent cancels the child it is waiting for; both end compensated', async () => {
    const sagas = createShippedOrderSagas();
    let release!: () => void;
    sagas.services.gates.set('book', new Promise<void>((r) => (release = r)));
    const engine = await createEngine({ store: createInMemoryEventStore(), sagas: [sagas.order, sagas.shipment] });
    engines.push(engine);
    const { sagaId } = await engine.start(sagas.order, { orderId: 'o', sku: 's', quantity: 1, address: 'a' });
    const childId = childSagaId(sagaId, 'shipping', SHIPMENT);
    while ((await engine.state(childId).catch(() => undefined))?.inFlight?.step !== 'bookCarrier') await new Promise((r) => setTimeout(r, 5));
    await engine.cancel(sagaId, 'customer changed their mind');
    // The booking ends only once the parent's compensation has cancelled the child.
    while ((await engine.state(childId)).cancelRequested === null) await new Promise((r) => setTimeout(r, 5));
    release();
    expect(await engine.result(sagaId, { pollMs: 10 })).toMatchObject({ status: 'compensated', compensated: ['shipping', 'charge', 'reserveStock'] });
    const child = await engine.state(childId);
    expect(child.status).toBe('compensated');
    const cancel = (await engine.events(childId)).find((e) => e.type === 'SagaCancelRequested');
    expect((cancel?.data as { reason?: string } | undefined)?.reason).toMatch(/compensates step shipping/);
    // The booking in flight when the child was cancelled is compensated too.
    expect(sagas.services.operations()).toEqual(['reserve', 'charge', 'pack', 'book', 'cancelBooking', 'unpack', 'refund', 'release']);
    expect(valid(child)).toBe(true);
    expect(valid(await engine.state(sagaId))).toBe(true);
  });

  it('cancelling a child that runs its steps fails the parent step (CHILD_SAGA_FAILED); one that waits for its verdict cannot be cancelled', async () => {
    const sagas = createShippedOrderSagas();
    let releaseBook!: () => void;
    sagas.services.gates.set('book', new Promise<void>((r) => (releaseBook = r)));
    const engine = await createEngine({ store: createInMemoryEventStore(), sagas: [sagas.order, sagas.shipment] });
    engines.push(engine);
    const first = await engine.start(sagas.order, { orderId: 'o1', sku: 's', quantity: 1, address: 'a' });
    const firstChild = childSagaId(first.sagaId, 'shipping', SHIPMENT);
    while ((await engine.state(firstChild).catch(() => undefined))?.inFlight?.step !== 'bookCarrier') await new Promise((r) => setTimeout(r, 5));
    expect(await engine.cancel(firstChild, 'carrier strike')).toBe(true);
    releaseBook();
    expect(await engine.result(first.sagaId, { pollMs: 10 })).toMatchObject({
      status: 'compensated',
      failure: { step: 'shipping', code: 'CHILD_SAGA_FAILED' },
    });

    let releaseConfirm!: () => void;
    sagas.services.gates.set('confirm', new Promise<void>((r) => (releaseConfirm = r)));
    const second = await engine.start(sagas.order, { orderId: 'o2', sku: 's', quantity: 1, address: 'a' });
    const secondChild = childSagaId(second.sagaId, 'shipping', SHIPMENT);
    while ((await engine.state(second.sagaId)).inFlight?.step !== 'confirm') await new Promise((r) => setTimeout(r, 5));
    expect(await engine.cancel(secondChild, 'too late')).toBe(false);
    releaseConfirm();
    expect(await engine.result(second.sagaId, { pollMs: 10 })).toMatchObject({ status: 'completed' });
    expect((await engine.state(secondChild)).status).toBe('completed');
  });

  it('a parent cancelled before its child exists creates the child cancelled: it runs nothing, and no late start runs it', async () => {
    const shipment = createShipmentSaga();
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const parent = defineSaga({ name: 'slow-parent', input: z.object({ id: z.string() }) }).child('shipping', {
      saga: shipment,
      input: async (ctx) => {
        await slow;
        return { orderId: ctx.input.id, parcels: 1, address: 'a' };
      },
    });
    const engine = await createEngine({ store: createInMemoryEventStore(), sagas: [parent, shipment] });
    engines.push(engine);
    const { sagaId } = await engine.start(parent, { id: 'p' });
    await new Promise((r) => setTimeout(r, 10));
    await engine.cancel(sagaId, 'stop');
    release();
    expect(await engine.result(sagaId, { pollMs: 10 })).toMatchObject({ status: 'compensated' });
    const childId = childSagaId(sagaId, 'shipping', SHIPMENT);
    const types = (await engine.events(childId)).map((e) => e.type);
    expect(types).toEqual(['SagaStarted', 'SagaCancelRequested', 'CompensationPlanned', 'SagaCompensated']);
  });

  it('types: the step output is the child outputs; the input function is checked against the child input', () => {
    const { order, shipment } = createShippedOrderSagas();
    expectTypeOf<SagaOutputs<typeof order>['shipping']>().toEqualTypeOf<SagaOutputs<typeof shipment>>();
    defineSaga({ name: 'typed', input: z.object({ n: z.number() }) }).child('c', {
      saga: shipment,
      // @ts-expect-error parcels must be a number
      input: (ctx) => ({ orderId: 'o', parcels: String(ctx.input.n), address: 'a' }),
    });
  });

  it('refuses step names in the engine namespace and a saga as its own child', () => {
    const shipment = createShipmentSaga();
    expect(() => defineSaga({ name: 'x', input: z.object({}) }).step('sagaflow.mine', { run: () => 1 })).toThrow(/reserves/);
    expect(() =>
      defineSaga({ name: SHIPMENT, input: z.object({}) }).child('again', { saga: shipment, input: () => ({ orderId: 'o', parcels: 1, address: 'a' }) }),
    ).toThrow(/its own child/);
  });
});
