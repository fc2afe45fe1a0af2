/**
 * Issue 11 item 3, durable signals, on the engine over the in-memory store: `engine.signal`
 * validates the payload by the waiting step's schema, keeps a signal that arrives before the
 * wait, applies a signal sent twice with one id once, and a wait that times out compensates.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCardPaymentParticipants, createCardPaymentSaga, PAYMENT_CONFIRMED } from '../../../sagas/index.js';
import { createEngine, createInMemoryEventStore, defineSaga, valid } from '../../../src/index.js';
import type { Engine, EventStore } from '../../../src/index.js';
import { createVirtualClock, killEngine } from '../../../src/testing/index.js';

let engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines) await e.close({ graceMs: 100 });
  engines = [];
});

async function engineOn(
  store: EventStore,
  sagas: Parameters<typeof createEngine>[0]['sagas'],
  extra: Partial<Parameters<typeof createEngine>[0]> = {},
): Promise<Engine> {
  const engine = await createEngine({ store, sagas, ...extra });
  engines.push(engine);
  return engine;
}

/** Lets the engine's drives run (they are promise chains). */
async function settle(engine: Engine): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await engine.idle();
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('engine.signal and .waitFor', () => {
  it('a signal completes the waiting step with its payload, seen by the next step; result() waits meanwhile', async () => {
    const participants = createCardPaymentParticipants();
    const saga = createCardPaymentSaga(participants);
    const engine = await engineOn(createInMemoryEventStore(), [saga]);
    const { sagaId } = await engine.start(saga, { orderId: 'o1', amountCents: 500 });
    await settle(engine);
    const waiting = await engine.state(sagaId);
    expect(waiting.status).toBe('running');
    expect(waiting.signals?.waiting).toMatchObject({ step: 'confirmation', signal: PAYMENT_CONFIRMED, attempt: 1 });
    expect(waiting.inFlight).toBeNull();
    let resolved = false;
    const result = engine.result(sagaId, { pollMs: 5 }).then((r) => {
      resolved = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(resolved).toBe(false);
    await expect(engine.signal(sagaId, PAYMENT_CONFIRMED, { authorizationId: 'auth-1', confirmedBy: '3ds' })).resolves.toMatchObject({ duplicate: false });
    const done = await result;
    expect(done.status).toBe('completed');
    if (done.status !== 'completed') return;
    expect(done.outputs['confirmation']).toEqual({ authorizationId: 'auth-1', confirmedBy: '3ds' });
    expect(done.outputs['capture']).toEqual({ captureId: 'cap-auth-1', amountCents: 500 });
    const types = (await engine.events(sagaId)).map((e) => e.type);
    expect(types).toEqual([
      'SagaStarted',
      'StepStarted',
      'StepSucceeded',
      'SignalAwaited',
      'SignalReceived',
      'SignalConsumed',
      'StepSucceeded',
      'StepStarted',
      'StepSucceeded',
      'SagaCompleted',
    ]);
  });

  it('a bad payload is refused with SIGNAL_PAYLOAD_INVALID and nothing is appended', async () => {
    const saga = createCardPaymentSaga();
    const engine = await engineOn(createInMemoryEventStore(), [saga]);
    const { sagaId } = await engine.start(saga, { orderId: 'o1', amountCents: 500 });
    await settle(engine);
    const before = (await engine.events(sagaId)).length;
    await expect(engine.signal(sagaId, PAYMENT_CONFIRMED, { authorizationId: 42 })).rejects.toMatchObject({
      code: 'SIGNAL_PAYLOAD_INVALID',
      details: { step: 'confirmation' },
    });
    expect((await engine.events(sagaId)).length).toBe(before);
  });

  it('refuses signals to an unknown saga, a finished saga, and names no step waits for, with typed errors', async () => {
    const participants = createCardPaymentParticipants();
    const saga = createCardPaymentSaga(participants);
    const engine = await engineOn(createInMemoryEventStore(), [saga]);
    await expect(engine.signal('0190f0f0-0000-7000-8000-00000000dead', PAYMENT_CONFIRMED, {})).rejects.toMatchObject({ code: 'SAGA_NOT_FOUND' });
    const { sagaId } = await engine.start(saga, { orderId: 'o1', amountCents: 500 });
    await expect(engine.signal(sagaId, 'refund-requested', {})).rejects.toMatchObject({ code: 'SIGNAL_NOT_AWAITED' });
    await engine.signal(sagaId, PAYMENT_CONFIRMED, { authorizationId: 'auth-1', confirmedBy: 'x' });
    expect((await engine.result(sagaId)).status).toBe('completed');
    await expect(engine.signal(sagaId, PAYMENT_CONFIRMED, { authorizationId: 'auth-1', confirmedBy: 'x' })).rejects.toMatchObject({
      code: 'SAGA_FINISHED',
      details: { status: 'completed' },
    });
  });

  it('a signal sent before the saga waits is kept, and consumed when the saga reaches the step', async () => {
    const clock = createVirtualClock();
    const log: string[] = [];
    const saga = defineSaga({ name: 'early', input: z.object({}) })
      .step('slow', { run: () => new Promise<string>((r) => setTimeout(() => r('slow done'), 40)) })
      .waitFor('approval', { signal: 'approved', payload: z.object({ by: z.string() }), timeoutMs: 1_000 })
      .step('after', { run: (ctx) => void log.push(`approved by ${ctx.outputs.approval.by}`) });
    const engine = await engineOn(createInMemoryEventStore(), [saga], { clock });
    const { sagaId } = await engine.start(saga, {});
    await engine.signal(sagaId, 'approved', { by: 'ops' }, { signalId: 'sig-1' });
    expect((await engine.state(sagaId)).signals?.inbox).toMatchObject([{ signalId: 'sig-1', name: 'approved', payload: { by: 'ops' } }]);
    const result = await engine.result(sagaId, { pollMs: 5 });
    expect(result.status).toBe('completed');
    expect(log).toEqual(['approved by ops']);
    const state = await engine.state(sagaId);
    expect(state.signals).toMatchObject({ received: ['sig-1'], inbox: [], consumed: { approval: 'sig-1' }, waiting: null });
    expect(valid(state, saga)).toBe(true);
  });

  it('a signal sent twice with the same id is applied once', async () => {
    const saga = defineSaga({ name: 'twice', input: z.object({}) })
      .waitFor('first', { signal: 'go', payload: z.object({ n: z.number() }), timeoutMs: 5_000 })
      .waitFor('second', { signal: 'go', payload: z.object({ n: z.number() }), timeoutMs: 5_000 });
    const engine = await engineOn(createInMemoryEventStore(), [saga]);
    const { sagaId } = await engine.start(saga, {});
    await expect(engine.signal(sagaId, 'go', { n: 1 }, { signalId: 'a' })).resolves.toEqual({ signalId: 'a', duplicate: false });
    await expect(engine.signal(sagaId, 'go', { n: 1 }, { signalId: 'a' })).resolves.toEqual({ signalId: 'a', duplicate: true });
    await settle(engine);
    const state = await engine.state(sagaId);
    // The duplicate did not complete the second wait.
    expect(state.status).toBe('running');
    expect(state.signals).toMatchObject({ received: ['a'], consumed: { first: 'a' }, waiting: { step: 'second' } });
    expect((await engine.events(sagaId)).filter((e) => e.type === 'SignalReceived')).toHaveLength(1);
    await engine.signal(sagaId, 'go', { n: 2 }, { signalId: 'b' });
    const result = await engine.result(sagaId, { pollMs: 5 });
    expect(result).toMatchObject({ status: 'completed', outputs: { first: { n: 1 }, second: { n: 2 } } });
  });

  it('a wait that times out fails permanently by default and compensates the earlier steps in reverse', async () => {
    const clock = createVirtualClock();
    const participants = createCardPaymentParticipants();
    const saga = createCardPaymentSaga(participants, { confirmationTimeoutMs: 60_000 });
    const engine = await engineOn(createInMemoryEventStore(), [saga], { clock });
    const { sagaId } = await engine.start(saga, { orderId: 'o1', amountCents: 500 });
    await settle(engine);
    expect(participants.gateway.openHolds()).toEqual(['auth-1']);
    clock.advance(59_999);
    await settle(engine);
    expect((await engine.state(sagaId)).status).toBe('running');
    clock.advance(1);
    const result = await engine.result(sagaId, { pollMs: 5 });
    expect(result).toMatchObject({
      status: 'compensated',
      compensated: ['authorize'],
      failure: { step: 'confirmation', kind: 'permanent', code: 'SIGNAL_TIMEOUT' },
    });
    expect(participants.gateway.openHolds()).toEqual([]);
    // A confirmation that comes too late is refused, so its sender knows the payment was voided.
    await expect(engine.signal(sagaId, PAYMENT_CONFIRMED, { authorizationId: 'auth-1', confirmedBy: 'late' })).rejects.toMatchObject({ code: 'SAGA_FINISHED' });
  });

  it('a timeout the step classifies transient waits again within its retry budget', async () => {
    const clock = createVirtualClock();
    const saga = defineSaga({ name: 'patient', input: z.object({}) })
      .step('book', { run: () => 1, compensate: () => {} })
      .waitFor('ack', {
        signal: 'ack',
        payload: z.object({}),
        timeoutMs: 1_000,
        classify: () => 'transient',
        retry: { maxAttempts: 2, immediateAttempts: 1, maxElapsedMs: 1_000_000 },
      });
    const engine = await engineOn(createInMemoryEventStore(), [saga], { clock });
    const { sagaId } = await engine.start(saga, {});
    await settle(engine);
    clock.advance(1_000);
    await settle(engine);
    expect((await engine.state(sagaId)).signals?.waiting).toMatchObject({ step: 'ack', attempt: 2 });
    clock.advance(1_000);
    const result = await engine.result(sagaId, { pollMs: 5 });
    expect(result).toMatchObject({ status: 'compensated', failure: { step: 'ack', code: 'SIGNAL_TIMEOUT' } });
  });

  it('cancellation stops a wait, and the saga compensates', async () => {
    const saga = createCardPaymentSaga();
    const engine = await engineOn(createInMemoryEventStore(), [saga]);
    const { sagaId } = await engine.start(saga, { orderId: 'o1', amountCents: 500 });
    await settle(engine);
    await engine.cancel(sagaId, 'customer left');
    const result = await engine.result(sagaId, { pollMs: 5 });
    expect(result).toMatchObject({ status: 'compensated', compensated: ['authorize'], failure: { kind: 'cancel' } });
    const state = await engine.state(sagaId);
    expect(state.signals?.waiting).toBeNull();
    expect(valid(state, saga)).toBe(true);
  });

  it('a waiting saga whose worker crashed is resumed by the next engine that loads it: its wait, its deadline, its signal', async () => {
    const clock = createVirtualClock();
    const store = createInMemoryEventStore();
    const participants = createCardPaymentParticipants();
    const saga = createCardPaymentSaga(participants, { confirmationTimeoutMs: 10_000 });
    const first = await engineOn(store, [saga], { clock, workerId: 'first' });
    const { sagaId } = await first.start(saga, { orderId: 'o1', amountCents: 500 });
    await settle(first);
    killEngine(first);
    engines = engines.filter((e) => e !== first);
    clock.advance(4_000);
    // No lease to wait out: the next engine takes the wait over at once, with the same deadline.
    const second = await engineOn(store, [saga], { clock, workerId: 'second' });
    expect(second.recovered).toBe(1);
    await settle(second);
    expect((await second.state(sagaId)).signals?.waiting).toMatchObject({ step: 'confirmation', attempt: 1, until: clock.now() + 6_000 });
    clock.advance(6_000);
    expect(await second.result(sagaId, { pollMs: 5 })).toMatchObject({ status: 'compensated', failure: { code: 'SIGNAL_TIMEOUT' } });
  });

  it('the engine running a saga drives it when its own send of a signal finds that another sender recorded it first', async () => {
    // The race two webhook deliveries run: the other sender's append wins, this one reads it back
    // as a duplicate. This engine does not follow the store, so only its own send can wake the saga.
    const store = createInMemoryEventStore();
    const saga = createCardPaymentSaga();
    const worker = await engineOn(store, [saga], { workerId: 'worker' });
    const other = await engineOn(store, [saga], { runSagas: false, workerId: 'other' });
    const { sagaId } = await worker.start(saga, { orderId: 'o1', amountCents: 500 });
    await settle(worker);
    const confirmation = { authorizationId: 'auth-1', confirmedBy: 'app' };
    await expect(other.signal(sagaId, PAYMENT_CONFIRMED, confirmation, { signalId: 'webhook-1' })).resolves.toMatchObject({ duplicate: false });
    await expect(worker.signal(sagaId, PAYMENT_CONFIRMED, confirmation, { signalId: 'webhook-1' })).resolves.toMatchObject({ duplicate: true });
    await settle(worker);
    expect((await worker.state(sagaId)).status).toBe('completed');
  });

  it('a signal sent through a client reaches the worker that runs the saga', async () => {
    const store = createInMemoryEventStore();
    const saga = createCardPaymentSaga();
    const worker = await engineOn(store, [saga], { workerId: 'worker' });
    await worker.startWorker();
    const client = await engineOn(store, [saga], { runSagas: false, workerId: 'client' });
    const { sagaId } = await client.start(saga, { orderId: 'o1', amountCents: 500 });
    await new Promise((r) => setTimeout(r, 30));
    await client.signal(sagaId, PAYMENT_CONFIRMED, { authorizationId: 'auth-1', confirmedBy: 'app' });
    const result = await client.result(sagaId, { pollMs: 5 });
    expect(result.status).toBe('completed');
  });
});
