/**
 * The example-based cases of child sagas (issue 11 item 2), for any store: the memory store in
 * test/unit/runtime/childSagas.test.ts, SQLite and PostgreSQL in test/integration. Each case
 * runs the example `shipped-order` saga (sagas/orderShipment) and its child `shipment`.
 */
import { expect, it } from 'vitest';
import { createShippedOrderSagas, createShippingServices, SHIPMENT } from '../../sagas/index.js';
import type { ShippingServices } from '../../sagas/index.js';
import { childSagaId, createEngine, valid, violations } from '../../src/index.js';
import type { Engine, EngineOptions, EventStore, SagaState } from '../../src/index.js';
import { killEngine } from '../../src/testing/index.js';

/** What each case needs: a fresh store per call, and a place to remember engines to close. */
export interface ChildCaseContext {
  store(): Promise<EventStore>;
  engines: Engine[];
}

const order = { orderId: 'o-1', sku: 'sku-9', quantity: 12, address: '1 Quay St' };

async function engineOn(c: ChildCaseContext, store: EventStore, services?: ShippingServices, extra: Partial<EngineOptions> = {}) {
  const sagas = createShippedOrderSagas(services);
  const engine = await createEngine({ store, sagas: [sagas.order, sagas.shipment], ...extra });
  c.engines.push(engine);
  return { engine, ...sagas };
}

async function streamTypes(engine: Engine, sagaId: string): Promise<string[]> {
  return (await engine.events(sagaId)).map((e) => e.type);
}

function expectSound(state: SagaState): void {
  expect(violations(state)).toEqual([]);
  expect(valid(state)).toBe(true);
}

/** Both commit on success; each stream names the other. */
export async function bothCommit(c: ChildCaseContext): Promise<void> {
  const { engine, order: saga, services } = await engineOn(c, await c.store());
  const { sagaId } = await engine.start(saga, order);
  const result = await engine.result(sagaId, { pollMs: 10 });
  expect(result.status).toBe('completed');
  if (result.status !== 'completed') return;
  const childId = childSagaId(sagaId, 'shipping', SHIPMENT);
  expect(result.outputs.shipping.bookCarrier.ref).toBe(`book:${childId}/bookCarrier`);
  expect(Object.keys(result.outputs)).toEqual(['reserveStock', 'charge', 'shipping', 'confirm']);
  const child = await engine.state(childId);
  expect(child.status).toBe('completed');
  expect(child.parent).toMatchObject({ sagaId, saga: 'shipped-order', step: 'shipping' });
  const parent = await engine.state(sagaId);
  expect(parent.children).toEqual([{ step: 'shipping', saga: SHIPMENT, version: 1, sagaId: childId }]);
  expect(services.operations()).toEqual(['reserve', 'charge', 'pack', 'book', 'confirm']);
  const childEvents = await engine.events(childId);
  expect(childEvents.find((e) => e.type === 'SignalReceived')?.data).toMatchObject({ name: 'sagaflow.parent-verdict', payload: { verdict: 'commit' } });
  expect(childEvents.at(-1)?.type).toBe('SagaCompleted');
  // The parent completes only once its child has: no child is left running after its parent ends.
  const parentEvents = await engine.events(sagaId);
  expect(Date.parse(childEvents.at(-1)?.recordedAt ?? '')).toBeLessThanOrEqual(Date.parse(parentEvents.at(-1)?.recordedAt ?? ''));
  expectSound(parent);
  expectSound(child);
}

/** A later parent step fails: the child undoes its steps in reverse, then the parent its own. */
export async function laterStepCompensatesChild(c: ChildCaseContext): Promise<void> {
  const { engine, order: saga, services } = await engineOn(c, await c.store());
  services.failing.add('confirm');
  const { sagaId } = await engine.start(saga, order);
  const result = await engine.result(sagaId, { pollMs: 10 });
  expect(result).toMatchObject({ status: 'compensated', compensated: ['shipping', 'charge', 'reserveStock'] });
  const child = await engine.state(childSagaId(sagaId, 'shipping', SHIPMENT));
  expect(child.status).toBe('compensated');
  expect(child.failure).toMatchObject({ step: 'sagaflow.apply-verdict', code: 'PARENT_COMPENSATED' });
  expect(child.compensation?.done).toEqual(['bookCarrier', 'pack']);
  expect(services.operations()).toEqual(['reserve', 'charge', 'pack', 'book', 'cancelBooking', 'unpack', 'refund', 'release']);
  expectSound(await engine.state(sagaId));
  expectSound(child);
}

/** The child fails: it compensates itself, and the parent's step fails with CHILD_SAGA_FAILED. */
export async function failingChildCompensatesParent(c: ChildCaseContext): Promise<void> {
  const { engine, order: saga, services } = await engineOn(c, await c.store());
  services.failing.add('book');
  const { sagaId } = await engine.start(saga, order);
  const result = await engine.result(sagaId, { pollMs: 10 });
  expect(result).toMatchObject({ status: 'compensated', failure: { step: 'shipping', code: 'CHILD_SAGA_FAILED' } });
  // The failed child step compensates nothing more: the child compensated itself.
  expect(result.status === 'compensated' && result.compensated).toEqual(['charge', 'reserveStock']);
  const child = await engine.state(childSagaId(sagaId, 'shipping', SHIPMENT));
  expect(child).toMatchObject({ status: 'compensated', failure: { step: 'bookCarrier', code: 'BOOK_REFUSED' } });
  expect(services.operations()).toEqual(['reserve', 'charge', 'pack', 'unpack', 'refund', 'release']);
  expectSound(await engine.state(sagaId));
  expectSound(child);
}

/**
 * The child parks (its own compensation fails for good): the parent's step counts as partly
 * applied, so the parent compensates it too and parks as well; resumed by an operator, child
 * first, both end compensated.
 */
export async function parkedChildParksParent(c: ChildCaseContext): Promise<void> {
  const { engine, order: saga, services } = await engineOn(c, await c.store());
  services.failing.add('book');
  services.failing.add('unpack');
  const { sagaId } = await engine.start(saga, order);
  const childId = childSagaId(sagaId, 'shipping', SHIPMENT);
  expect(await engine.result(sagaId, { pollMs: 10 })).toMatchObject({ status: 'failed', needsAttention: true });
  const parent = await engine.state(sagaId);
  expect(parent.steps.find((s) => s.name === 'shipping')?.lastError).toMatchObject({ code: 'CHILD_SAGA_PARKED' });
  expect(parent.compensation?.plan).toEqual(['shipping', 'charge', 'reserveStock']);
  expect(await engine.state(childId)).toMatchObject({ status: 'failed', needsAttention: true });
  services.failing.delete('unpack');
  expect(await engine.resume(childId)).toBe(true);
  expect(await engine.result(childId, { pollMs: 10 })).toMatchObject({ status: 'compensated' });
  expect(await engine.resume(sagaId)).toBe(true);
  expect(await engine.result(sagaId, { pollMs: 10 })).toMatchObject({ status: 'compensated', compensated: ['shipping', 'charge', 'reserveStock'] });
  expect(services.operations()).toEqual(['reserve', 'charge', 'pack', 'unpack', 'refund', 'release']);
  expectSound(await engine.state(sagaId));
  expectSound(await engine.state(childId));
}

/**
 * The engine dies while the child runs (between its start and its end): a new engine finishes
 * both, with one child only, each effect applied once.
 */
export async function crashMidChild(c: ChildCaseContext): Promise<void> {
  const store = await c.store();
  const services = createShippingServices();
  let release!: () => void;
  // The first engine's shipment hangs in `pack` until it is killed.
  services.gates.set('pack', new Promise<void>((r) => (release = r)));
  const firstSagas = createShippedOrderSagas(services);
  const first = await createEngine({ store, sagas: [firstSagas.order, firstSagas.shipment], leaseMs: 200, workerId: 'first' });
  c.engines.push(first);
  const { sagaId } = await first.start(firstSagas.order, order);
  const childId = childSagaId(sagaId, 'shipping', SHIPMENT);
  await pollFor(async () => (await first.state(childId).catch(() => undefined))?.inFlight?.step === 'pack');
  killEngine(first);
  services.gates.delete('pack');
  release();
  const sagas = createShippedOrderSagas(services);
  const second = await createEngine({ store, sagas: [sagas.order, sagas.shipment], leaseMs: 200, workerId: 'second' });
  c.engines.push(second);
  const result = await second.result(sagaId, { pollMs: 20 });
  expect(result.status).toBe('completed');
  const child = await second.state(childId);
  expect(child.status).toBe('completed');
  expect(services.operations()).toEqual(['reserve', 'charge', 'pack', 'book', 'confirm']);
  // One child only: no other stream names this parent.
  const started = [];
  for await (const e of readAllStarted(store)) if ((e.data as { parent?: { sagaId?: string } }).parent?.sagaId === sagaId) started.push(e.streamId);
  expect(started).toEqual([`saga-${childId}`]);
  expect(await streamTypes(second, childId)).toContain('SagaCompleted');
  expectSound(await second.state(sagaId));
  expectSound(child);
}

async function pollFor(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function* readAllStarted(store: EventStore): AsyncGenerator<{ streamId: string; data: unknown }> {
  let after = 0;
  for (;;) {
    const page = await store.readAll({ after, maxCount: 500, streamPrefix: 'saga-' });
    if (page.length === 0) return;
    for (const e of page) if (e.type === 'SagaStarted') yield e;
    after = page.at(-1)?.position ?? after;
    if (page.length < 500) return;
  }
}

/** Declares the cases above as tests on `c`'s store: every store runs the same ones, by the same names. */
export function childSagaCases(c: ChildCaseContext): void {
  it('both commit when the parent completes; each stream names the other', () => bothCommit(c));
  it('a later parent step failing compensates the child (its steps in reverse, PARENT_COMPENSATED), then the parent', () => laterStepCompensatesChild(c));
  it('a failing child compensates itself, and the parent step fails (CHILD_SAGA_FAILED) and compensates the earlier steps', () =>
    failingChildCompensatesParent(c));
  it('an engine killed while the child runs: a new engine finishes both with one child only', () => crashMidChild(c));
  it('a parked child parks the parent (its step counts as partly applied); resumed child first, both end compensated', () => parkedChildParksParent(c));
}
