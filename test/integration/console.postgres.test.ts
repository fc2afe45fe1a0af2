/**
 * The console on PostgreSQL: the list comes from the store's subscription, a saga started
 * elsewhere arrives over server-sent events, and a resume with the token runs the parked saga
 * to its end in the console's engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrderFulfilmentParticipants, createOrderFulfilmentSaga, type OrderInput } from '../../sagas/index.js';
import { type ConsoleHandle, startConsole } from '../../src/console/consoleServer.js';
import { createEngine, type Engine } from '../../src/runtime/engine.js';
import { sagaStreamId } from '../../src/runtime/sagaStream.js';
import type { EventStore } from '../../src/stores/eventStore.js';
import { FAST } from '../unit/sagas/sagaHarness.js';
import { openTestStore } from '../support/postgresTestStore.js';

const order = (n: number): OrderInput => ({ orderId: `o-${n}`, customerId: 'c', lines: [{ sku: 'widget', quantity: 1 }], amountCents: 100, address: 'x' });
let store: EventStore;
let engine: Engine;
let console_: ConsoleHandle;
const ids = { completed: '', parked: '' };

beforeAll(async () => {
  store = await openTestStore();
  const participants = createOrderFulfilmentParticipants();
  engine = await createEngine({ store, sagas: [createOrderFulfilmentSaga(participants, FAST)] });
  ids.completed = (await engine.start('order-fulfilment', order(1))).sagaId;
  await engine.result(ids.completed);
  participants.shipping.faults.inject('create', { kind: 'permanent' });
  participants.payments.faults.inject('refund', { kind: 'transient' });
  ids.parked = (await engine.start('order-fulfilment', order(2))).sagaId;
  expect((await engine.result(ids.parked)).status).toBe('failed');
  participants.shipping.faults.clear();
  participants.payments.faults.clear();
  // The console's own definitions, with participants that work: a resumed saga ends compensated.
  console_ = await startConsole({ store, sagas: [createOrderFulfilmentSaga(createOrderFulfilmentParticipants(), FAST)] });
});

afterAll(async () => {
  await console_?.close();
  await engine?.close();
  await store?.close();
});

describe('the console on PostgreSQL', () => {
  it('lists the sagas, streams a new one live, and resumes the parked one with the token', async () => {
    const list = (await (await fetch(new URL('/api/sagas', console_.url))).json()) as { sagas: { sagaId: string; status: string }[] };
    expect(list.sagas.map((s) => [s.sagaId, s.status])).toEqual([
      [ids.parked, 'failed'],
      [ids.completed, 'completed'],
    ]);

    const abort = new AbortController();
    const reader = ((await fetch(new URL('/api/events', console_.url), { signal: abort.signal })).body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const read = async (until: (t: string) => boolean): Promise<void> => {
      while (!until(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended: ${text}`);
        text += decoder.decode(value);
      }
    };
    await read((t) => t.includes('event: ready'));
    const { sagaId } = await engine.start('order-fulfilment', order(3));
    await read((t) => t.includes(`"sagaId":"${sagaId}"`) && t.includes('"lastEvent":"SagaCompleted"'));

    const refused = await fetch(new URL(`/api/sagas/${ids.parked}/resume`, console_.url), { method: 'POST' });
    expect(refused.status).toBe(401);
    const resumed = await fetch(new URL(`/api/sagas/${ids.parked}/resume`, console_.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${console_.token}` },
    });
    expect(resumed.status).toBe(200);
    await read((t) => new RegExp(`"sagaId":"${ids.parked}"[^\\n]*"lastEvent":"SagaCompensated"`).test(t));
    expect((await store.readStream(sagaStreamId(ids.parked))).at(-1)?.type).toBe('SagaCompensated');
    abort.abort();
  });
});
