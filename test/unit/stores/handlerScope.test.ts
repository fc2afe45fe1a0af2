/**
 * Subscriptions know whether `unsubscribe()` is called from inside their own handler (it must
 * not wait for itself) without leaving Node's promise hooks on: an AsyncLocalStorage that stays
 * enabled made every promise of a worker's process slower, on every step of every saga.
 * Whether hooks are on is observable: with them, an async function's resource is its promise.
 */
import { executionAsyncResource } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { createInMemoryEventStore } from '../../../src/index.js';
import { HandlerScope } from '../../../src/stores/handlerScope.js';

async function promiseHooksOn(): Promise<boolean> {
  await null;
  return executionAsyncResource() instanceof Promise;
}

describe('HandlerScope', () => {
  it('knows its owner inside a handler, in its sync part and after its awaits, and not outside', async () => {
    const scope = new HandlerScope<object>();
    const owner = {};
    const seen: boolean[] = [];
    await scope.run(owner, async () => {
      seen.push(scope.isInside(owner), scope.isInside({}));
      await new Promise((r) => setTimeout(r, 1));
      seen.push(scope.isInside(owner));
    });
    expect(seen).toEqual([true, false, true]);
    expect(scope.isInside(owner)).toBe(false);
  });

  it('leaves promise hooks off once no handler runs', async () => {
    const scope = new HandlerScope<object>();
    expect(scope.run({}, () => 7)).toBe(7);
    await scope.run({}, async () => {
      await null;
    });
    expect(await promiseHooksOn()).toBe(false);
  });

  it('a thrown handler error reaches the caller, and hooks are off after it', async () => {
    const scope = new HandlerScope<object>();
    expect(() =>
      scope.run({}, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(await promiseHooksOn()).toBe(false);
  });
});

describe('a subscription that delivered events', () => {
  it('leaves promise hooks off between deliveries (a worker follows the store for as long as it runs)', async () => {
    const store = createInMemoryEventStore();
    let delivered = 0;
    const sub = store.subscribeToAll({
      onEvent: async () => {
        delivered++;
        await null;
      },
    });
    await store.append('s-1', [{ id: crypto.randomUUID(), type: 'Happened', data: {}, metadata: {} }], 'no_stream');
    for (let i = 0; i < 100 && delivered === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(delivered).toBe(1);
    expect(await promiseHooksOn()).toBe(false);
    await sub.unsubscribe();
  });

  it('can still be unsubscribed from inside its handler, and delivers nothing afterwards', async () => {
    const store = createInMemoryEventStore();
    const got: string[] = [];
    const sub = store.subscribeToAll({
      onEvent: async (event) => {
        got.push(event.streamId);
        await null;
        await sub.unsubscribe();
      },
    });
    await store.append('s-1', [{ id: crypto.randomUUID(), type: 'Happened', data: {}, metadata: {} }], 'no_stream');
    await store.append('s-2', [{ id: crypto.randomUUID(), type: 'Happened', data: {}, metadata: {} }], 'no_stream');
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual(['s-1']);
  });
});
