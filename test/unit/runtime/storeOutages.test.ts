/**
 * Store outages as a user sees them: visible (one warning, one line when back), a worker that
 * loses its subscription takes it up again, and past the infrastructure policy's bound the
 * engine is unhealthy and `sagaflow worker` ends so that its supervisor restarts it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runWorker } from '../../../src/cli/workerCommand.js';
import { createEngine, defineSaga, StoreUnavailableError } from '../../../src/index.js';
import type { Engine, EventStore, SubscribeToAllOptions } from '../../../src/index.js';
import { createInMemoryEventStore } from '../../../src/stores/inMemory/index.js';
import { captureLogs } from '../../support/captureLogs.js';

const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close({ graceMs: 0 });
});

const saga = defineSaga({ name: 'two', input: z.object({}) })
  .step('a', { run: async () => new Promise((r) => setTimeout(() => r('a'), 30)) })
  .step('b', { run: () => 'b' });

/** A store whose appends fail as unavailable until `until()` says otherwise. */
function flakyAppends(store: EventStore, down: () => boolean): EventStore {
  return Object.create(store, {
    append: {
      value: (...args: Parameters<EventStore['append']>) => (down() ? Promise.reject(new StoreUnavailableError('connection refused')) : store.append(...args)),
    },
  }) as EventStore;
}

/**
 * A store whose first subscription stops with an error soon after catching up; later ones
 * work (`then: 'work'`) or fail at once, before catching up (`then: 'fail'`: the store stays down).
 */
function droppingSubscriptions(store: EventStore, then: 'work' | 'fail'): EventStore & { subscribed: number } {
  let dropped = 0;
  const times = 1;
  const wrapper = Object.create(store, {
    subscribeToAll: {
      value: (options: SubscribeToAllOptions) => {
        wrapper.subscribed++;
        if (wrapper.subscribed > 1 && then === 'fail') {
          setTimeout(() => options.onError?.(new StoreUnavailableError('connection refused')), 5);
          return { unsubscribe: async () => {} };
        }
        const sub = store.subscribeToAll({
          ...options,
          onCaughtUp: () => {
            options.onCaughtUp?.();
            if (dropped < times) {
              dropped++;
              setTimeout(() => void sub.unsubscribe().then(() => options.onError?.(new StoreUnavailableError('the server went away'))), 20);
            }
          },
        });
        return sub;
      },
    },
  }) as EventStore & { subscribed: number };
  wrapper.subscribed = 0;
  return wrapper;
}

describe('store outages', () => {
  it('are visible: one warning when the store becomes unavailable (attempt, next delay), one line when it is back', async () => {
    const { lines, logger } = captureLogs();
    let downUntil = 0;
    const store = flakyAppends(createInMemoryEventStore(), () => Date.now() < downUntil);
    const engine = await createEngine({ store, sagas: [saga], logger });
    engines.push(engine);
    const { sagaId } = await engine.start('two', {});
    downUntil = Date.now() + 400;
    expect((await engine.result(sagaId)).status).toBe('completed');
    const warnings = lines.filter((l) => l['msg'] === 'store unavailable: retrying');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, attempt: 1 });
    expect(typeof warnings[0]!['delayMs']).toBe('number');
    const back = lines.filter((l) => l['msg'] === 'store available again');
    expect(back).toHaveLength(1);
    expect(back[0]!['downMs'] as number).toBeGreaterThanOrEqual(300);
    expect(engine.health().status).toBe('healthy');
  });

  it("record a step's own duration, not the time its outcome waited for the store", async () => {
    let downUntil = 0;
    const inner = createInMemoryEventStore();
    const slow = defineSaga({ name: 'slow', input: z.object({}) }).step('call', {
      run: async () => {
        await new Promise((r) => setTimeout(r, 50));
        downUntil = Date.now() + 600;
        return 'done';
      },
    });
    const engine = await createEngine({ store: flakyAppends(inner, () => Date.now() < downUntil), sagas: [slow] });
    engines.push(engine);
    const { sagaId } = await engine.start('slow', {});
    await engine.result(sagaId);
    const succeeded = (await inner.readStream(`saga-${sagaId}`)).find((e) => e.type === 'StepSucceeded');
    const durationMs = (succeeded?.data as { durationMs?: number } | undefined)?.durationMs;
    expect(durationMs).toBeGreaterThanOrEqual(45);
    expect(durationMs).toBeLessThan(400);
  });

  it('a worker whose subscription stops takes it up again: a saga started afterwards by another process still runs', async () => {
    const inner = createInMemoryEventStore();
    const store = droppingSubscriptions(inner, 'work');
    const worker = await createEngine({ store, sagas: [saga], infrastructure: { initialDelayMs: 10, maxDelayMs: 20 } });
    engines.push(worker);
    await worker.startWorker();
    await new Promise((r) => setTimeout(r, 150));
    expect(store.subscribed).toBe(2);
    const client = await createEngine({ store: inner, sagas: [saga], runSagas: false });
    engines.push(client);
    const { sagaId } = await client.start('two', {});
    expect((await client.result(sagaId, { pollMs: 20 })).status).toBe('completed');
    expect(worker.health().status).toBe('healthy');
  });

  it('past the policy bound the engine is unhealthy and the worker ends with "unhealthy" (the CLI then exits 3)', async () => {
    const { lines, logger } = captureLogs();
    const store = droppingSubscriptions(createInMemoryEventStore(), 'fail');
    const exit = await runWorker(store, {
      sagas: [saga],
      logger,
      concurrency: 4,
      leaseMs: 500,
      graceMs: 0,
      stop: new AbortController().signal,
      infrastructure: { initialDelayMs: 10, maxDelayMs: 20, unhealthyAfterMs: 200 },
    });
    expect(exit).toBe('unhealthy');
    expect(lines.some((l) => l['msg'] === 'store unavailable past the bound: engine unhealthy' && l['level'] === 50)).toBe(true);
    expect(store.subscribed).toBeGreaterThan(2);
  });

  it('a stop requested while the worker starts (before its engine exists) ends it at once, running nothing', async () => {
    const { logger } = captureLogs();
    const stop = new AbortController();
    stop.abort();
    const store = createInMemoryEventStore();
    await expect(runWorker(store, { sagas: [saga], logger, concurrency: 4, leaseMs: 500, graceMs: 0, stop: stop.signal })).resolves.toBe('stopped');
  });
});
