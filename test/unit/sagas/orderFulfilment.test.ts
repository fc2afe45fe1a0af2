import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src/runtime/engine.js';
import { createInMemoryEventStore } from '../../../src/stores/inMemory/index.js';
import { createOrderFulfilmentParticipants, createOrderFulfilmentSaga } from '../../../sagas/index.js';
import type { OrderInput } from '../../../sagas/index.js';
import { FAST, ofType, readBack, runSaga } from './sagaHarness.js';

const order: OrderInput = {
  orderId: 'o-1',
  customerId: 'c-1',
  lines: [
    { sku: 'widget', quantity: 2 },
    { sku: 'gadget', quantity: 1 },
  ],
  amountCents: 4_999,
  address: '1 Main St',
};

function setup() {
  const participants = createOrderFulfilmentParticipants({ stock: { widget: 10, gadget: 5 } });
  return { participants, saga: createOrderFulfilmentSaga(participants, FAST) };
}

describe('order fulfilment', () => {
  it('completes: stock reserved, payment charged, shipment created, each once', async () => {
    const { participants, saga } = setup();
    const run = await runSaga(saga, order);
    expect(run.result.status).toBe('completed');
    if (run.result.status !== 'completed') return;
    expect(run.result.outputs).toMatchObject({
      reserveInventory: { reservationId: 'res-1' },
      chargePayment: { paymentId: 'pay-1', amountCents: 4_999 },
      createShipment: { shipmentId: 'shp-1' },
    });
    expect(participants.inventory.available('widget')).toBe(8);
    expect(participants.inventory.available('gadget')).toBe(4);
    expect(participants.payments.netCents()).toBe(4_999);
    expect(participants.shipping.shipments).toMatchObject([{ orderId: 'o-1', reservationId: 'res-1', status: 'created' }]);
    expect(participants.journal.operations()).toEqual(['inventory.reserve', 'payments.charge', 'shipping.create']);
    expect(run.types).toEqual(['SagaStarted', 'StepStarted', 'StepSucceeded', 'StepStarted', 'StepSucceeded', 'StepStarted', 'StepSucceeded', 'SagaCompleted']);
    expect(run.violations).toEqual([]);
  });

  it('survives transient payment failures by retrying with backoff, charging once', async () => {
    const { participants, saga } = setup();
    participants.payments.faults.inject('charge', { kind: 'transient', times: 2, code: 'GATEWAY_TIMEOUT' });
    const run = await runSaga(saga, order);
    expect(run.result.status).toBe('completed');
    expect(participants.payments.callCount('charge')).toBe(3);
    expect(participants.payments.ledger).toHaveLength(1);
    const failed = ofType(run, 'StepFailed');
    expect(failed.map((f) => [f['step'], f['attempt'], f['kind']])).toEqual([
      ['chargePayment', 1, 'transient'],
      ['chargePayment', 2, 'transient'],
    ]);
    expect((failed[0]?.['error'] as { code: string } | undefined)?.code).toBe('GATEWAY_TIMEOUT');
    // Attempt 2 runs at once (immediateAttempts: 1), attempt 3 after the first backoff delay.
    const retries = ofType(run, 'RetryScheduled');
    expect(retries.map((r) => [r['attempt'], (r['dueAt'] as number) - (r['at'] as number)])).toEqual([
      [2, 0],
      [3, 2],
    ]);
    expect(run.violations).toEqual([]);
  });

  it('compensates in reverse order when the shipment is rejected: refund, then release', async () => {
    const { participants, saga } = setup();
    participants.shipping.faults.inject('create', { kind: 'permanent', code: 'ADDRESS_UNDELIVERABLE' });
    const run = await runSaga(saga, order);
    expect(run.result).toMatchObject({
      status: 'compensated',
      compensated: ['chargePayment', 'reserveInventory'],
      failure: { step: 'createShipment', kind: 'permanent', code: 'ADDRESS_UNDELIVERABLE' },
    });
    expect(participants.journal.operations()).toEqual(['inventory.reserve', 'payments.charge', 'payments.refund', 'inventory.release']);
    expect(participants.inventory.available('widget')).toBe(10);
    expect(participants.payments.netCents()).toBe(0);
    expect(participants.shipping.shipments).toEqual([]);
    expect(ofType(run, 'CompensationPlanned')).toMatchObject([
      { cause: 'permanent', failedStep: 'createShipment', plan: ['chargePayment', 'reserveInventory'] },
    ]);
    expect(ofType(run, 'CompensationSucceeded').map((e) => e['step'])).toEqual(['chargePayment', 'reserveInventory']);
    expect(run.types.slice(-1)).toEqual(['SagaCompensated']);
    expect(run.violations).toEqual([]);
  });

  it('compensates nothing when the first step is out of stock', async () => {
    const { participants, saga } = setup();
    const run = await runSaga(saga, { ...order, lines: [{ sku: 'widget', quantity: 11 }] });
    expect(run.result).toMatchObject({ status: 'compensated', compensated: [], failure: { code: 'OUT_OF_STOCK' } });
    expect(participants.journal.entries).toEqual([]);
    expect(participants.payments.callCount('charge')).toBe(0);
  });

  it('refunds a partially applied charge, then releases the stock', async () => {
    const { participants, saga } = setup();
    participants.payments.faults.inject('charge', { kind: 'partial', times: 1, code: 'RECEIPT_LOST' });
    const run = await runSaga(saga, order);
    expect(run.result).toMatchObject({ status: 'compensated', compensated: ['chargePayment', 'reserveInventory'] });
    expect(participants.journal.entries.map((e) => `${e.operation}:${e.effect}`)).toEqual([
      'reserve:applied',
      'charge:partial',
      'refund:undone',
      'release:undone',
    ]);
    expect(participants.payments.netCents()).toBe(0);
    expect(ofType(run, 'CompensationPlanned')).toMatchObject([{ cause: 'partial', plan: ['chargePayment', 'reserveInventory'] }]);
  });

  it('parks the saga when a refund keeps failing, and an operator resume finishes it', async () => {
    const { participants, saga } = setup();
    participants.shipping.faults.inject('create', { kind: 'permanent' });
    participants.payments.faults.inject('refund', { kind: 'transient', code: 'BANK_OFFLINE' });
    const store = createInMemoryEventStore();
    const engine = await createEngine({ store, sagas: [saga] });
    try {
      const { sagaId } = await engine.start(saga.name, order);
      expect(await engine.result(sagaId)).toMatchObject({ status: 'failed', needsAttention: true, failure: { step: 'chargePayment', kind: 'parked' } });
      expect(participants.payments.callCount('refund')).toBe(3);
      expect(participants.inventory.available('widget')).toBe(8); // not released: refund must come first
      expect((await readBack(engine, sagaId)).violations).toEqual([]);

      participants.payments.faults.clear();
      expect(await engine.resume(sagaId)).toBe(true);
      expect(await engine.result(sagaId)).toMatchObject({ status: 'compensated', compensated: ['chargePayment', 'reserveInventory'] });
      expect(participants.journal.operations().slice(-2)).toEqual(['payments.refund', 'inventory.release']);
      expect(participants.inventory.available('widget')).toBe(10);
    } finally {
      await engine.close();
    }
  });

  it('starts one saga, with one effect, for two starts with the same idempotency key', async () => {
    const { participants, saga } = setup();
    const engine = await createEngine({ store: createInMemoryEventStore(), sagas: [saga] });
    try {
      const first = await engine.start(saga.name, order, { idempotencyKey: 'order-o-1' });
      await engine.result(first.sagaId);
      const second = await engine.start(saga.name, order, { idempotencyKey: 'order-o-1' });
      expect(second).toMatchObject({ sagaId: first.sagaId, created: false });
      expect(participants.payments.ledger).toHaveLength(1);
    } finally {
      await engine.close();
    }
  });
});

describe('order participants deduplicate by idempotency key', () => {
  it('applies a repeated reservation, charge and shipment once and returns the first outcome', async () => {
    const { inventory, payments, shipping } = createOrderFulfilmentParticipants();
    const a = await inventory.reserve({ key: 's/reserve', orderId: 'o', lines: [{ sku: 'widget', quantity: 3 }] });
    const b = await inventory.reserve({ key: 's/reserve', orderId: 'o', lines: [{ sku: 'widget', quantity: 3 }] });
    expect(b).toEqual(a);
    expect(inventory.available('widget')).toBe(7);
    await payments.charge({ key: 's/charge', customerId: 'c', amountCents: 100 });
    await payments.charge({ key: 's/charge', customerId: 'c', amountCents: 100 });
    expect(payments.ledger).toHaveLength(1);
    await shipping.create({ key: 's/ship', orderId: 'o', reservationId: a.reservationId, address: 'x' });
    await shipping.create({ key: 's/ship', orderId: 'o', reservationId: a.reservationId, address: 'x' });
    expect(shipping.shipments).toHaveLength(1);
  });

  it('undoes once, and tolerates undoing what was never done', async () => {
    const { inventory, payments, journal } = createOrderFulfilmentParticipants();
    await inventory.reserve({ key: 's/reserve', orderId: 'o', lines: [{ sku: 'widget', quantity: 3 }] });
    await inventory.release({ key: 's/reserve/compensate', reservationKey: 's/reserve' });
    await inventory.release({ key: 's/reserve/compensate', reservationKey: 's/reserve' });
    // A second compensation key (a different saga's, say) finds nothing left to undo.
    await inventory.release({ key: 'other/compensate', reservationKey: 's/reserve' });
    await payments.refund({ key: 'never/compensate', paymentKey: 'never' });
    expect(inventory.available('widget')).toBe(10);
    expect(journal.entries.map((e) => `${e.operation}:${e.effect}`)).toEqual([
      'reserve:applied',
      'release:undone',
      'release:nothing-to-undo',
      'refund:nothing-to-undo',
    ]);
  });

  it('remembers a permanent failure for its key but lets a transient one be retried', async () => {
    const { payments } = createOrderFulfilmentParticipants({ paymentLimitCents: 50 });
    await expect(payments.charge({ key: 'k1', customerId: 'c', amountCents: 100 })).rejects.toMatchObject({ code: 'PAYMENT_DECLINED' });
    payments.faults.inject('charge', { kind: 'transient', times: 1 });
    await expect(payments.charge({ key: 'k1', customerId: 'c', amountCents: 100 })).rejects.toMatchObject({ code: 'PAYMENT_DECLINED' });
    await expect(payments.charge({ key: 'k2', customerId: 'c', amountCents: 10 })).rejects.toMatchObject({ kind: 'transient' });
    await expect(payments.charge({ key: 'k2', customerId: 'c', amountCents: 10 })).resolves.toMatchObject({ amountCents: 10 });
    expect(payments.ledger).toHaveLength(1);
  });
});
