/**
 * Several engines on one store as workers: fencing, failover after a lost worker, and leases
 * renewed by heartbeat for long steps. Real clock, short leases.
 */
import { firstValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEngine, defineSaga, fold, parseSagaEvent } from '../../../src/index.js';
import type { Engine, EventStore } from '../../../src/index.js';
import { createInMemoryEventStore } from '../../../src/stores/inMemory/index.js';
import { killEngine } from '../../../src/testing/killEngine.js';

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close({ graceMs: 200 })));
});

async function worker(store: EventStore, sagas: Parameters<typeof createEngine>[0]['sagas'], leaseMs = 200): Promise<Engine> {
  const engine = await createEngine({ store, sagas, leaseMs });
  await engine.startWorker();
  engines.push(engine);
  return engine;
}

async function eventsOf(store: EventStore, sagaId: string) {
  return (await store.readStream(`saga-${sagaId}`)).map((e) => ({ ...parseSagaEvent(e, e), worker: e.metadata['worker'] }));
}

describe('workers sharing one store', () => {
  it('two workers racing for the same 100 sagas record each step outcome exactly once', async () => {
    const store = createInMemoryEventStore();
    const calls = new Map<string, number>();
    const saga = defineSaga({ name: 'race', input: z.object({ n: z.number() }) })
      .step('one', { run: ({ idempotencyKey }) => void calls.set(idempotencyKey, (calls.get(idempotencyKey) ?? 0) + 1) })
      .step('two', { run: async () => new Promise((r) => setTimeout(r, Math.random() * 3)) })
      .step('three', { run: () => 3 });
    const starter = await createEngine({ store, sagas: [saga], resumeUnfinished: false, leaseMs: 200 });
    const ids = await Promise.all(Array.from({ length: 100 }, (_, n) => starter.start('race', { n }).then((r) => r.sagaId)));
    killEngine(starter); // the starter dies at once: its first attempts are in doubt
    const [a, b] = [await worker(store, [saga]), await worker(store, [saga])];
    const results = await Promise.all(ids.map((id) => a.result(id)));
    expect(results.every((r) => r.status === 'completed')).toBe(true);
    for (const id of ids) {
      const events = await eventsOf(store, id);
      const outcomes = events
        .filter((e) => e.type === 'StepSucceeded' || e.type === 'StepFailed')
        .map((e) => `${(e.data as { step: string }).step}#${(e.data as { attempt: number }).attempt}`);
      expect(new Set(outcomes).size).toBe(outcomes.length);
      expect(outcomes.filter((o) => o.startsWith('three'))).toHaveLength(1);
      expect(fold(events)?.status).toBe('completed');
    }
    expect(b.workerId).not.toBe(a.workerId);
  });

  it('a saga started on one engine that dies mid-step is taken over by a worker after the lease, with the same idempotency key', async () => {
    const store = createInMemoryEventStore();
    const keys: string[] = [];
    let hang = true;
    const saga = defineSaga({ name: 'failover', input: z.object({}) }).step('pay', {
      run: async ({ idempotencyKey }) => {
        keys.push(idempotencyKey);
        if (hang) await new Promise(() => {});
        return 'paid';
      },
    });
    const survivor = await worker(store, [saga]);
    const doomed = await createEngine({ store, sagas: [saga], leaseMs: 200 });
    const { sagaId } = await doomed.start('failover', {});
    while (keys.length === 0) await new Promise((r) => setTimeout(r, 5));
    hang = false;
    killEngine(doomed);
    const killedAt = Date.now();
    expect(await survivor.result(sagaId, { pollMs: 20 })).toMatchObject({ status: 'completed' });
    const events = await eventsOf(store, sagaId);
    const takeover = events.find((e) => e.type === 'StepStarted' && (e.data as { attempt: number }).attempt === 2);
    expect(takeover?.worker).toBe(survivor.workerId);
    expect(keys).toEqual([`${sagaId}/pay`, `${sagaId}/pay`]);
    expect(Date.parse((await store.readStream(`saga-${sagaId}`)).at(-1)!.recordedAt) - killedAt).toBeLessThan(2_000);
  });

  it('a step longer than the lease keeps it by heartbeat: no other worker takes it over', async () => {
    const store = createInMemoryEventStore();
    let runs = 0;
    const saga = defineSaga({ name: 'long', input: z.object({}) }).step('slow', {
      run: async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 900));
        return 'done';
      },
    });
    const a = await worker(store, [saga], 150);
    await worker(store, [saga], 150);
    const { sagaId } = await a.start('long', {});
    expect(await a.result(sagaId, { pollMs: 20 })).toMatchObject({ status: 'completed' });
    expect(runs).toBe(1);
    const events = await eventsOf(store, sagaId);
    expect(events.filter((e) => e.type === 'LeaseExtended').length).toBeGreaterThanOrEqual(3);
    expect(events.filter((e) => e.type === 'StepStarted')).toHaveLength(1);
  });

  it('a client (runSagas: false) starts sagas that workers run; it never runs a step itself', async () => {
    const store = createInMemoryEventStore();
    const ranBy: string[] = [];
    const saga = defineSaga({ name: 'remote', input: z.object({}) }).step('only', { run: () => void ranBy.push('worker') });
    const client = await createEngine({ store, sagas: [saga], runSagas: false });
    engines.push(client);
    const w = await worker(store, [saga]);
    const { sagaId } = await client.start('remote', {});
    // The client observes the events the worker appends, live, through the store.
    const observed = firstValueFrom(client.saga$(sagaId).pipe(toArray()));
    expect(await client.result(sagaId, { pollMs: 10 })).toMatchObject({ status: 'completed' });
    expect((await observed).map((e) => e.type)).toEqual(['SagaStarted', 'StepStarted', 'StepSucceeded', 'SagaCompleted']);
    const events = await eventsOf(store, sagaId);
    expect(events[0]).toMatchObject({ type: 'SagaStarted', worker: client.workerId });
    expect(events.slice(1).every((e) => e.worker === w.workerId)).toBe(true);
    expect(ranBy).toEqual(['worker']);
    await expect(client.startWorker()).rejects.toThrow(/client/);
  });
});
