/**
 * Issue 11 item 3, durable signals, on the durable stores: SQLite (a real file) and PostgreSQL
 * (the private cluster the suite starts). A signal sent before the saga waits is kept; one sent
 * twice with the same id (concurrently, by two processes' engines) is applied once; a wait that
 * times out compensates; a signal sent by a client reaches the saga another worker runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createCardPaymentParticipants, createCardPaymentSaga, PAYMENT_CONFIRMED } from '../../sagas/index.js';
import { createEngine, valid } from '../../src/index.js';
import type { Engine, EngineOptions, EventStore } from '../../src/index.js';
import { createSqliteEventStore } from '../../src/stores/sqlite/index.js';
import { openTestStore, pollFor } from '../support/postgresTestStore.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-signals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stores: [string, () => Promise<EventStore>][] = [
  ['sqlite', async () => createSqliteEventStore({ path: join(dir, `${Math.random().toString(36).slice(2)}.db`) })],
  ['postgres', () => openTestStore()],
];

let engines: Engine[] = [];
let opened: EventStore[] = [];
afterEach(async () => {
  for (const e of engines) await e.close({ graceMs: 100 });
  for (const s of opened) await s.close();
  engines = [];
  opened = [];
});

describe.each(stores)('durable signals on %s', (_name, open) => {
  async function store(): Promise<EventStore> {
    const s = await open();
    opened.push(s);
    return s;
  }
  async function engine(options: Omit<EngineOptions, 'sagas'> & { sagas?: EngineOptions['sagas'] }, saga = createCardPaymentSaga()): Promise<Engine> {
    const e = await createEngine({ sagas: [saga], ...options });
    engines.push(e);
    return e;
  }
  const confirmation = { authorizationId: 'auth-1', confirmedBy: 'card-holder' };

  it('a signal sent before the saga waits is kept, and consumed once a worker drives the saga', async () => {
    const s = await store();
    const client = await engine({ store: s, runSagas: false, workerId: 'client' });
    const { sagaId } = await client.start(createCardPaymentSaga(), { orderId: 'o1', amountCents: 700 });
    await client.signal(sagaId, PAYMENT_CONFIRMED, confirmation, { signalId: 'webhook-1' });
    const kept = await client.state(sagaId);
    expect(kept.signals?.inbox.map((r) => r.signalId)).toEqual(['webhook-1']);
    expect(kept.steps.map((st) => st.status)).toEqual(['pending', 'pending', 'pending']);
    // A worker starts later: it resumes the saga and the kept signal ends the wait at once.
    const worker = await engine({ store: s, workerId: 'worker' });
    const result = await worker.result(sagaId, { pollMs: 10 });
    expect(result).toMatchObject({ status: 'completed', outputs: { confirmation } });
    const state = await worker.state(sagaId);
    expect(state.signals).toMatchObject({ received: ['webhook-1'], inbox: [], consumed: { confirmation: 'webhook-1' } });
    expect(valid(state, createCardPaymentSaga())).toBe(true);
  });

  it('a signal sent twice with the same id, at once by two engines, is applied once', async () => {
    const s = await store();
    const saga = createCardPaymentSaga();
    const worker = await engine({ store: s, workerId: 'worker' }, saga);
    const other = await engine({ store: s, runSagas: false, workerId: 'other' }, saga);
    const { sagaId } = await worker.start(saga, { orderId: 'o1', amountCents: 700 });
    const sent = await Promise.all([
      worker.signal(sagaId, PAYMENT_CONFIRMED, confirmation, { signalId: 'webhook-1' }),
      other.signal(sagaId, PAYMENT_CONFIRMED, confirmation, { signalId: 'webhook-1' }),
    ]);
    expect(sent.map((r) => r.duplicate).sort()).toEqual([false, true]);
    await expect(other.signal(sagaId, PAYMENT_CONFIRMED, confirmation, { signalId: 'webhook-1' })).resolves.toEqual({ signalId: 'webhook-1', duplicate: true });
    expect((await worker.result(sagaId, { pollMs: 10 })).status).toBe('completed');
    const events = await worker.events(sagaId);
    expect(events.filter((e) => e.type === 'SignalReceived')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'SignalConsumed')).toHaveLength(1);
  });

  it('a wait that times out compensates the earlier steps (the hold on the card is voided)', async () => {
    const s = await store();
    const participants = createCardPaymentParticipants();
    const saga = createCardPaymentSaga(participants, { confirmationTimeoutMs: 150 });
    const worker = await engine({ store: s }, saga);
    const { sagaId } = await worker.start(saga, { orderId: 'o1', amountCents: 700 });
    const result = await worker.result(sagaId, { pollMs: 10 });
    expect(result).toMatchObject({ status: 'compensated', compensated: ['authorize'], failure: { step: 'confirmation', code: 'SIGNAL_TIMEOUT' } });
    expect(participants.gateway.openHolds()).toEqual([]);
    await expect(worker.signal(sagaId, PAYMENT_CONFIRMED, confirmation)).rejects.toMatchObject({ code: 'SAGA_FINISHED' });
  });

  it('a signal sent by a client reaches the saga a second worker runs (it follows the store), and a bad payload appends nothing', async () => {
    const s = await store();
    const saga = createCardPaymentSaga();
    const a = await engine({ store: s, workerId: 'worker-a' }, saga);
    await a.startWorker();
    const b = await engine({ store: s, workerId: 'worker-b' }, saga);
    await b.startWorker();
    const { sagaId } = await a.start(saga, { orderId: 'o1', amountCents: 700 });
    await pollFor(async () => (await a.state(sagaId)).signals?.waiting, 10_000, 'the saga to wait');
    const client = await engine({ store: s, runSagas: false, workerId: 'client' }, saga);
    const before = (await client.events(sagaId)).length;
    await expect(client.signal(sagaId, PAYMENT_CONFIRMED, { authorizationId: '' })).rejects.toMatchObject({ code: 'SIGNAL_PAYLOAD_INVALID' });
    expect((await client.events(sagaId)).length).toBe(before);
    await client.signal(sagaId, PAYMENT_CONFIRMED, confirmation);
    expect(await client.result(sagaId, { pollMs: 10 })).toMatchObject({ status: 'completed', outputs: { capture: { captureId: 'cap-auth-1' } } });
    const capture = (await client.events(sagaId)).find((e) => e.type === 'StepStarted' && (e.data as { step: string }).step === 'capture');
    expect(['worker-a', 'worker-b']).toContain((capture?.data as { worker?: string } | undefined)?.worker);
  });
});
