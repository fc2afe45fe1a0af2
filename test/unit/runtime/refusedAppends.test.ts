/**
 * An append the store refuses for good (too large, invalid, a bug) must end the saga, never
 * loop: the saga is parked with the reason, `result()` settles, and no restart re-runs an
 * effect whose outcome is durable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppendRefusedError, createEngine, defineSaga, PayloadTooLargeError } from '../../../src/index.js';
import type { Engine, EventStore, SagaResult } from '../../../src/index.js';
import { createInMemoryEventStore } from '../../../src/stores/inMemory/index.js';
import { createSqliteEventStore } from '../../../src/stores/sqlite/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-refused-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close({ graceMs: 0 });
});

const stores: [string, () => EventStore][] = [
  ['memory', () => createInMemoryEventStore()],
  ['sqlite', () => createSqliteEventStore({ path: join(dir, `${Math.random().toString(36).slice(2)}.db`) })],
];

/** A saga of `n` steps, each returning `bytes` of output, counting its calls. */
function wideSaga(n: number, bytes: number, calls: Map<string, number>) {
  // Built in a loop: the step output types cannot accumulate, so `any` is honest here.
  // biome-ignore lint/suspicious/noExplicitAny: see above.
  let saga: any = defineSaga({ name: 'wide', input: z.object({}) });
  for (let i = 0; i < n; i++) {
    const name = `s${i}`;
    saga = saga.step(name, {
      run: () => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        return { blob: 'x'.repeat(bytes) };
      },
    });
  }
  return saga as ReturnType<typeof defineSaga>;
}

/** Settles within `ms` or fails the test (a livelocked saga never settles). */
async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Refuses, with `error`, every append whose batch holds an event of type `type`. */
function refusing(store: EventStore, type: string | ((t: string) => boolean), error: () => Error): EventStore {
  const matches = typeof type === 'string' ? (t: string) => t === type : type;
  return Object.create(store, {
    append: {
      value: (streamId: string, events: { type: string }[], expected: unknown) =>
        events.some((e) => matches(e.type)) ? Promise.reject(error()) : store.append(streamId, events as never, expected as never),
    },
  }) as EventStore;
}

async function boot(store: EventStore, saga: ReturnType<typeof defineSaga>): Promise<Engine> {
  const engine = await createEngine({ store, sagas: [saga], leaseMs: 200 });
  engines.push(engine);
  return engine;
}

describe.each(stores)('refused appends (%s store)', (_name, makeStore) => {
  it('a saga of 50 steps with 30 kB outputs completes (terminal events copy no outputs), and a restart re-runs nothing', async () => {
    const calls = new Map<string, number>();
    const store = makeStore();
    const saga = wideSaga(50, 30_000, calls);
    const engine = await boot(store, saga);
    const { sagaId } = await engine.start('wide', {});
    const result = (await within(20_000, engine.result(sagaId))) as SagaResult;
    expect(result.status).toBe('completed');
    expect(Object.keys((result as { outputs: object }).outputs)).toHaveLength(50);
    await engine.close();
    const again = await boot(store, saga);
    await again.idle();
    await new Promise((r) => setTimeout(r, 400));
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect(calls.size).toBe(50);
    await store.close();
  }, 60_000);

  it('a terminal append refused for good parks the saga with the reason; the last step ran once, also after a restart', async () => {
    const calls = new Map<string, number>();
    const inner = makeStore();
    const store = refusing(inner, 'SagaCompleted', () => new PayloadTooLargeError('too large for this store'));
    const saga = wideSaga(3, 10, calls);
    const engine = await boot(store, saga);
    const { sagaId } = await engine.start('wide', {});
    const result = await within(10_000, engine.result(sagaId));
    expect(result).toMatchObject({ status: 'failed', needsAttention: true, failure: { kind: 'parked', code: 'APPEND_REFUSED' } });
    expect((result as { failure: { message: string } }).failure.message).toMatch(/too large for this store/);
    const types = (await inner.readStream(`saga-${sagaId}`)).map((e) => e.type);
    // The last step's success is durable, then the park: nothing of the outcome was lost.
    expect(types.slice(-2)).toEqual(['StepSucceeded', 'SagaFailed']);
    await engine.close();
    const again = await boot(store, saga);
    await again.idle();
    await new Promise((r) => setTimeout(r, 400));
    expect([...calls.entries()]).toEqual([
      ['s0', 1],
      ['s1', 1],
      ['s2', 1],
    ]);
    await inner.close();
  });

  it('an outcome the store refuses (an invalid event) parks the saga instead of retrying forever', async () => {
    const calls = new Map<string, number>();
    const inner = makeStore();
    const store = refusing(inner, 'StepSucceeded', () => new TypeError('the store refuses this event'));
    const saga = wideSaga(2, 10, calls);
    const engine = await boot(store, saga);
    const { sagaId } = await engine.start('wide', {});
    const result = await within(10_000, engine.result(sagaId));
    expect(result).toMatchObject({ status: 'failed', needsAttention: true, failure: { code: 'APPEND_REFUSED' } });
    await engine.close();
    await boot(store, saga);
    await new Promise((r) => setTimeout(r, 400));
    // Parked, so a restart does not run the step again.
    expect(calls.get('s0')).toBe(1);
    await inner.close();
  });

  it('when the store refuses even the park, result() rejects with AppendRefusedError instead of hanging', async () => {
    const calls = new Map<string, number>();
    const inner = makeStore();
    const store = refusing(
      inner,
      (t) => t !== 'SagaStarted' && t !== 'StepStarted',
      () => new TypeError('the store refuses everything'),
    );
    const saga = wideSaga(2, 10, calls);
    const engine = await boot(store, saga);
    const { sagaId } = await engine.start('wide', {});
    await expect(within(10_000, engine.result(sagaId))).rejects.toBeInstanceOf(AppendRefusedError);
    expect(calls.get('s0')).toBe(1);
    await inner.close();
  });
});
