/**
 * The console's HTTP API over real HTTP on 127.0.0.1, on an in-memory store: read-only routes
 * need no token, resume and cancel refuse without it (401) or with a wrong one (403), the
 * Host guard refuses a rebinding name, filters and paging, live events over SSE, and close()
 * returns while a live stream is open.
 */
import { v7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrderFulfilmentParticipants, createOrderFulfilmentSaga, type OrderInput } from '../../../sagas/index.js';
import { type ConsoleHandle, startConsole } from '../../../src/console/consoleServer.js';
import { sagaEvent } from '../../../src/core/events.js';
import { createEngine, type Engine } from '../../../src/runtime/engine.js';
import { sagaStreamId, toNewEvents } from '../../../src/runtime/sagaStream.js';
import type { EventStore } from '../../../src/stores/eventStore.js';
import { createInMemoryEventStore } from '../../../src/stores/inMemory/index.js';
import { FAST } from '../sagas/sagaHarness.js';

const order = (n: number): OrderInput => ({ orderId: `o-${n}`, customerId: 'c', lines: [{ sku: 'widget', quantity: 1 }], amountCents: 100, address: 'x' });
let store: EventStore;
let engine: Engine;
let console_: ConsoleHandle;
const ids = { completed: '', parked: '', running: '', broken: v7() };

// biome-ignore lint/suspicious/noExplicitAny: the API's JSON bodies, of many shapes, read field by field.
type Body = any;

async function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Body }> {
  const response = await fetch(new URL(path, console_.url), { headers });
  return { status: response.status, body: await response.json() };
}

async function post(path: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; body: Body }> {
  const response = await fetch(new URL(path, console_.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body ?? {}),
  });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  store = createInMemoryEventStore();
  const participants = createOrderFulfilmentParticipants();
  const saga = createOrderFulfilmentSaga(participants, FAST);
  engine = await createEngine({ store, sagas: [saga] });
  ids.completed = (await engine.start(saga, order(1))).sagaId;
  await engine.result(ids.completed);
  participants.shipping.faults.inject('create', { kind: 'permanent' });
  participants.payments.faults.inject('refund', { kind: 'transient' });
  ids.parked = (await engine.start(saga, order(2))).sagaId;
  expect((await engine.result(ids.parked)).status).toBe('failed');
  // A saga no engine runs: started by a client, so it stays running.
  const client = await createEngine({ store, sagas: [saga], runSagas: false });
  ids.running = (await client.start(saga, order(3))).sagaId;
  await client.close();
  // Well-formed events telling an impossible story: the second step succeeded, the first never ran.
  const steps = ['a', 'b'].map((name) => ({ name, optional: false, checkpoint: false, compensable: false }));
  await store.append(
    sagaStreamId(ids.broken),
    toNewEvents(
      [
        sagaEvent('SagaStarted', { sagaId: ids.broken, saga: 'handmade', version: 1, input: null, steps, idempotencyKey: null, at: 1 }),
        sagaEvent('StepSucceeded', { step: 'b', attempt: 1, output: null, at: 2 }),
      ],
      {},
      false,
    ),
    'no_stream',
  );
  console_ = await startConsole({ store, storeLabel: 'memory:' });
});

afterAll(async () => {
  await console_?.close();
  await engine?.close();
  await store?.close();
});

describe('the console API', () => {
  it('lists every saga newest first, filters by status and saga name, and pages with a cursor', async () => {
    const all = await get('/api/sagas');
    expect(all.status).toBe(200);
    expect(all.body.sagas.map((s: { sagaId: string }) => s.sagaId)).toEqual([ids.broken, ids.running, ids.parked, ids.completed]);
    expect((await get('/api/sagas?status=attention')).body.sagas.map((s: { sagaId: string }) => s.sagaId)).toEqual([ids.parked]);
    expect((await get('/api/sagas?saga=handmade')).body.sagas.map((s: { sagaId: string }) => s.sagaId)).toEqual([ids.broken]);
    const first = await get('/api/sagas?limit=3');
    expect(first.body.sagas).toHaveLength(3);
    expect(first.body.total).toBe(4);
    const second = await get(`/api/sagas?limit=3&cursor=${first.body.next}`);
    expect(second.body.sagas.map((s: { sagaId: string }) => s.sagaId)).toEqual([ids.completed]);
    expect(second.body.next).toBeNull();
    expect((await get('/api/sagas?limit=0')).status).toBe(400);
    expect((await get('/api/sagas?cursor=abc')).status).toBe(400);
  });

  it('answers a saga with its events and problems, and replays it to a revision as engine.replay does', async () => {
    const saga = await get(`/api/sagas/${ids.parked}`);
    expect(saga.body.events.map((e: { type: string }) => e.type)).toEqual((await store.readStream(sagaStreamId(ids.parked))).map((e) => e.type));
    expect(saga.body.problems).toEqual([]);
    const replayed = await get(`/api/sagas/${ids.parked}/replay?to=2`);
    const expected = await engine.replay(ids.parked, { toRevision: 2 });
    expect(replayed.body.state).toEqual(JSON.parse(JSON.stringify(expected.state)));
    expect(replayed.body.revision).toBe(2);
    expect((await get(`/api/sagas/${ids.parked}/replay?to=-1`)).status).toBe(400);
    expect((await get(`/api/sagas/${v7()}`)).status).toBe(404);
    expect((await get('/api/sagas/not%20an%20id')).status).toBe(400);
  });

  it('verify names the broken stream and the revision where it broke', async () => {
    const report = await get('/api/verify');
    expect(report.body.total).toBe(4);
    expect(report.body.broken).toBe(1);
    const broken = report.body.streams.find((s: { sagaId: string }) => s.sagaId === ids.broken);
    expect(broken.valid).toBe(false);
    expect(broken.problems.join('\n')).toMatch(/^revision 1: /);
  });

  it('refuses resume and cancel without the token (401) and with a wrong one (403), and appends nothing', async () => {
    const before = (await store.readStream(sagaStreamId(ids.parked))).length;
    const none = await post(`/api/sagas/${ids.parked}/resume`);
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('TOKEN_REQUIRED');
    const wrong = await post(`/api/sagas/${ids.parked}/resume`, { authorization: 'Bearer wrong-token-wrong-token' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error).toBe('TOKEN_REFUSED');
    expect((await post(`/api/sagas/${ids.running}/cancel`, {}, { reason: 'x' })).status).toBe(401);
    expect((await store.readStream(sagaStreamId(ids.parked))).length).toBe(before);
  });

  it('with the token: resumes a parked saga once (then 409), cancels a running one with a reason', async () => {
    const auth = { authorization: `Bearer ${console_.token}` };
    const resumed = await post(`/api/sagas/${ids.parked}/resume`, auth);
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ resumed: true, runsHere: false });
    expect((await store.readStream(sagaStreamId(ids.parked))).at(-1)?.type).toBe('SagaResumed');
    expect((await post(`/api/sagas/${ids.completed}/resume`, auth)).status).toBe(409);
    expect((await post(`/api/sagas/${ids.running}/cancel`, auth, {})).status).toBe(400);
    expect((await post(`/api/sagas/${ids.running}/cancel`, auth, { reason: 'customer asked' })).status).toBe(200);
    expect((await store.readStream(sagaStreamId(ids.running))).at(-1)?.data).toMatchObject({ reason: 'customer asked' });
    expect((await post(`/api/sagas/${ids.running}/cancel`, auth, { reason: 'again' })).status).toBe(409);
  });

  it('refuses a Host header other than the loopback names (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: console_.port, path: '/api/info', headers: { host: 'attacker.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
    expect((await get('/api/info')).body.store).toBe('memory:');
  });

  it('streams a change of any saga as a server-sent event', async () => {
    const abort = new AbortController();
    const response = await fetch(new URL('/api/events', console_.url), { signal: abort.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
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
    const { sagaId } = await engine.start('order-fulfilment', order(4));
    await read((t) => t.includes(sagaId));
    expect(text).toMatch(new RegExp(`event: saga\\ndata: \\{"sagaId":"${sagaId}"`));
    abort.abort();
  });

  it('close() returns while a live stream is still open, and the port is released', async () => {
    const other = await startConsole({ store });
    const response = await fetch(new URL('/api/events', other.url));
    await (response.body as ReadableStream<Uint8Array>).getReader().read();
    await other.close();
    await expect(fetch(new URL('/api/info', other.url))).rejects.toThrow();
  });
});
