import { firstValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createEngine,
  defineSaga,
  InputValidationError,
  PayloadTooLargeError,
  PermanentError,
  TransientError,
  UnknownSagaError,
  sagaStreamId,
} from '../../../src/index.js';
import type { Engine, EventStore } from '../../../src/index.js';
import { createInMemoryEventStore } from '../../../src/stores/inMemory/index.js';

const input = z.object({ qty: z.number().int().positive() });
let engine: Engine | undefined;
afterEach(async () => engine?.close({ graceMs: 100 }));

function order(log: string[], opts: { failShip?: 'permanent' | 'transient'; chargeTimeoutMs?: number; slowCharge?: number } = {}) {
  return defineSaga({ name: 'order', input })
    .step('reserve', {
      run: ({ input: i }) => {
        log.push('reserve');
        return { id: `r${i.qty}` };
      },
      compensate: () => void log.push('undo reserve'),
    })
    .step('charge', {
      timeoutMs: opts.chargeTimeoutMs ?? 30_000,
      retry: { initialDelayMs: 1, maxDelayMs: 5 },
      run: async ({ signal, attempt }) => {
        log.push(`charge#${attempt}`);
        if (opts.slowCharge && attempt === 1)
          await new Promise((resolve, reject) => {
            const t = setTimeout(resolve, opts.slowCharge);
            signal.addEventListener('abort', () => {
              clearTimeout(t);
              reject(signal.reason);
            });
          });
        return { paid: true };
      },
      compensate: () => void log.push('refund'),
    })
    .step('ship', {
      retry: { maxAttempts: 2, immediateAttempts: 2 },
      run: () => {
        if (opts.failShip === 'permanent') throw new PermanentError('address rejected');
        if (opts.failShip === 'transient') throw new TransientError('carrier down');
        return 'shipped';
      },
    });
}

async function run(store: EventStore, definition: ReturnType<typeof order>) {
  engine = await createEngine({ store, sagas: [definition] });
  return engine;
}

describe('engine', () => {
  it('runs a saga to completion and returns the typed outputs', async () => {
    const log: string[] = [];
    const e = await run(createInMemoryEventStore(), order(log));
    const { sagaId } = await e.start('order', { qty: 2 });
    expect(await e.result(sagaId)).toEqual({ status: 'completed', sagaId, outputs: { reserve: { id: 'r2' }, charge: { paid: true }, ship: 'shipped' } });
    expect(log).toEqual(['reserve', 'charge#1']);
  });

  it('invalid input throws InputValidationError and appends nothing', async () => {
    const store = createInMemoryEventStore();
    const e = await run(store, order([]));
    await expect(e.start('order', { qty: -1 })).rejects.toThrow(InputValidationError);
    await expect(e.start('order', { qty: -1 })).rejects.toThrow(/qty: Too small/);
    expect(await store.readAll()).toEqual([]);
  });

  it('an unknown saga name is a clear error', async () => {
    const e = await run(createInMemoryEventStore(), order([]));
    await expect(e.start('invoice', {})).rejects.toThrow(UnknownSagaError);
  });

  it('an input too large for an event is refused with PayloadTooLargeError, nothing appended', async () => {
    const store = createInMemoryEventStore();
    const big = defineSaga({ name: 'big', input: z.object({ blob: z.string() }) }).step('a', { run: () => 1 });
    engine = await createEngine({ store, sagas: [big] });
    await expect(engine.start('big', { blob: 'x'.repeat(2 * 1024 * 1024) })).rejects.toThrow(PayloadTooLargeError);
    expect(await store.readAll()).toEqual([]);
  });

  it('the same idempotency key returns the same saga and starts nothing twice', async () => {
    const log: string[] = [];
    const store = createInMemoryEventStore();
    const e = await run(store, order(log));
    const a = await e.start('order', { qty: 1 }, { idempotencyKey: 'cart-42' });
    const b = await e.start('order', { qty: 1 }, { idempotencyKey: 'cart-42' });
    expect(b).toEqual({ ...a, created: false });
    await e.result(a.sagaId);
    expect(log.filter((l) => l === 'reserve')).toHaveLength(1);
  });

  it('a permanent failure compensates completed steps in reverse order', async () => {
    const log: string[] = [];
    const e = await run(createInMemoryEventStore(), order(log, { failShip: 'permanent' }));
    const { sagaId } = await e.start('order', { qty: 1 });
    const result = await e.result(sagaId);
    expect(result).toMatchObject({
      status: 'compensated',
      compensated: ['charge', 'reserve'],
      failure: { step: 'ship', kind: 'permanent', message: 'address rejected' },
    });
    expect(log.slice(-2)).toEqual(['refund', 'undo reserve']);
  });

  it('a step that runs past timeoutMs is aborted through its signal and retried', async () => {
    const log: string[] = [];
    const e = await run(createInMemoryEventStore(), order(log, { chargeTimeoutMs: 50, slowCharge: 5_000 }));
    const { sagaId } = await e.start('order', { qty: 1 });
    expect((await e.result(sagaId)).status).toBe('completed');
    expect(log).toEqual(['reserve', 'charge#1', 'charge#2']);
    const { events } = await e.replay(sagaId);
    expect(events.find((ev) => ev.type === 'StepFailed')?.data).toMatchObject({ step: 'charge', kind: 'transient', error: { code: 'STEP_TIMEOUT' } });
  });

  it('cancel compensates what was done', async () => {
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const saga = defineSaga({ name: 'gated', input })
      .step('a', { run: () => 1, compensate: () => void log.push('undo a') })
      .step('b', {
        run: async () => {
          await gate;
          return 2;
        },
        compensate: () => void log.push('undo b'),
      })
      .step('c', { run: () => 3 });
    engine = await createEngine({ store: createInMemoryEventStore(), sagas: [saga] });
    const { sagaId } = await engine.start('gated', { qty: 1 });
    while ((await engine.state(sagaId)).inFlight?.step !== 'b') await new Promise((r) => setTimeout(r, 5));
    expect(await engine.cancel(sagaId, 'customer changed their mind')).toBe(true);
    release();
    expect(await engine.result(sagaId)).toMatchObject({ status: 'compensated', compensated: ['b', 'a'], failure: { kind: 'cancel' } });
    expect(log).toEqual(['undo b', 'undo a']);
    expect(await engine.cancel(sagaId, 'again')).toBe(false);
  });

  it('a compensation that keeps failing parks the saga; resume finishes it', async () => {
    let broken = true;
    const saga = defineSaga({ name: 'park', input })
      .step('a', {
        run: () => 1,
        compensationRetry: { maxAttempts: 2, immediateAttempts: 2 },
        compensate: () => {
          if (broken) throw new TransientError('refund API down');
        },
      })
      .step('b', {
        run: () => {
          throw new PermanentError('no');
        },
      });
    engine = await createEngine({ store: createInMemoryEventStore(), sagas: [saga] });
    const { sagaId } = await engine.start('park', { qty: 1 });
    expect(await engine.result(sagaId)).toMatchObject({ status: 'failed', needsAttention: true, failure: { kind: 'parked', step: 'a' } });
    broken = false;
    expect(await engine.resume(sagaId, 'alice')).toBe(true);
    expect(await engine.result(sagaId)).toMatchObject({ status: 'compensated', compensated: ['a'] });
    // Attempts number on across the resume, so no attempt is recorded twice; the budget is fresh.
    const attempts = (await engine.replay(sagaId)).events.filter((e) => e.type === 'CompensationStarted').map((e) => (e.data as { attempt: number }).attempt);
    expect(attempts).toEqual([1, 2, 3]);
    expect((await engine.replay(sagaId)).violations).toEqual([]);
  });

  it('a saga of n successful steps costs n + 1 appends', async () => {
    const store = createInMemoryEventStore();
    let appends = 0;
    const counting = Object.create(store, {
      append: {
        value: (...a: Parameters<EventStore['append']>) => {
          appends++;
          return store.append(...a);
        },
      },
    }) as EventStore;
    const e = await run(counting, order([]));
    const { sagaId } = await e.start('order', { qty: 1 });
    await e.result(sagaId);
    expect(appends).toBe(4);
  });

  it('events$ and saga$ deliver the saga’s events in revision order; replay can stop at a revision', async () => {
    const e = await run(createInMemoryEventStore(), order([]));
    const seen: string[] = [];
    e.events$.subscribe((ev) => seen.push(`${ev.revision}:${ev.type}`));
    const { sagaId } = await e.start('order', { qty: 1 });
    const all = await firstValueFrom(e.saga$(sagaId).pipe(toArray()));
    expect(all.map((ev) => ev.revision)).toEqual(all.map((_, i) => i));
    expect(all.at(-1)?.type).toBe('SagaCompleted');
    expect(seen).toEqual(all.map((ev) => `${ev.revision}:${ev.type}`));
    const partial = await e.replay(sagaId, { toRevision: 2 });
    expect(partial.events).toHaveLength(3);
    expect(partial.state?.status).toBe('running');
    expect(partial.violations).toEqual([]);
    expect(all[0]?.streamId).toBe(sagaStreamId(sagaId));
  });
});
