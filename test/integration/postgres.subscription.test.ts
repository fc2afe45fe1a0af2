/**
 * subscribeToAll on PostgreSQL: catch-up, then live via LISTEN/NOTIFY, exactly once and in
 * order; handler errors, unsubscribe and close.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreClosedError } from '../../src/core/errors.js';
import type { RecordedEvent, Subscription } from '../../src/stores/eventStore.js';
import type { PostgresEventStore } from '../../src/stores/postgres/index.js';
import { events, openTestStore, waitUntil } from '../support/postgresTestStore.js';

let store: PostgresEventStore;
beforeAll(async () => {
  // A fallback poll of a minute: live delivery within seconds proves LISTEN/NOTIFY wakes us.
  store = await openTestStore({ pollIntervalMs: 60_000 });
});
afterAll(async () => {
  await store?.close();
});

describe('postgres store: subscriptions', () => {
  it('catches up, reports it once, then delivers live events exactly once and in order', async () => {
    const prefix = `cat${Date.now()}-`;
    for (let i = 0; i < 12; i++) await store.append(`${prefix}${i % 3}`, events(50, 'E', i * 50), i < 3 ? 'no_stream' : 'any');
    const received: RecordedEvent[] = [];
    let caughtUpAt = -1;
    const sub = store.subscribeToAll({
      streamPrefix: prefix,
      onEvent: async (event) => {
        received.push(event);
        if (received.length % 97 === 0) await new Promise((resolve) => setTimeout(resolve, 5)); // a slow handler
      },
      onCaughtUp: () => {
        expect(caughtUpAt).toBe(-1);
        caughtUpAt = received.length;
      },
    });
    await waitUntil(() => caughtUpAt >= 0, 10_000, 'catch-up');
    expect(caughtUpAt).toBe(600);

    await store.append('other-stream', events(3), 'any'); // filtered out
    const started = Date.now();
    await Promise.all(Array.from({ length: 5 }, (_, w) => store.append(`${prefix}${w}`, events(4), 'any')));
    await waitUntil(() => received.length === 620, 5_000, 'live events');
    expect(Date.now() - started).toBeLessThan(3_000);
    await sub.unsubscribe();

    const expected = await store.readAll({ streamPrefix: prefix });
    expect(received.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect(received.every((e) => e.streamId.startsWith(prefix))).toBe(true);
  });

  it('starts after the given position', async () => {
    const stream = `after-${Date.now()}`;
    await store.append(stream, events(5), 'no_stream');
    const all = await store.readStream(stream);
    const received: RecordedEvent[] = [];
    const sub = store.subscribeToAll({ after: all[2]!.position, streamPrefix: stream, onEvent: (e) => void received.push(e) });
    await waitUntil(() => received.length === 2, 5_000, 'the last two events');
    await sub.unsubscribe();
    expect(received.map((e) => e.revision)).toEqual([3, 4]);
  });

  it('stops with onError when the handler throws, delivering nothing after it', async () => {
    const stream = `throws-${Date.now()}`;
    await store.append(stream, events(5), 'no_stream');
    const received: number[] = [];
    let reported: unknown;
    store.subscribeToAll({
      streamPrefix: stream,
      onEvent: (e) => {
        if (e.revision === 2) throw new Error('handler broke');
        received.push(e.revision);
      },
      onError: (error) => (reported = error),
    });
    await waitUntil(() => reported !== undefined, 5_000, 'onError');
    await store.append(stream, events(1), 'any');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((reported as Error).message).toBe('handler broke');
    expect(received).toEqual([0, 1]);
  });

  it('can be unsubscribed from inside its handler, and delivers nothing afterwards', async () => {
    const stream = `unsub-${Date.now()}`;
    await store.append(stream, events(10), 'no_stream');
    const received: number[] = [];
    const sub: Subscription = store.subscribeToAll({
      streamPrefix: stream,
      onEvent: async (e) => {
        received.push(e.revision);
        if (e.revision === 3) await sub.unsubscribe();
      },
    });
    await waitUntil(() => received.length >= 4, 5_000, 'four events');
    await sub.unsubscribe();
    await store.append(stream, events(1), 'any');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toEqual([0, 1, 2, 3]);
  });

  it('reports StoreClosedError to live subscriptions when the store closes', async () => {
    const own = await openTestStore();
    let reported: unknown;
    let caughtUp = false;
    own.subscribeToAll({ onEvent: () => undefined, onCaughtUp: () => (caughtUp = true), onError: (e) => (reported = e) });
    await waitUntil(() => caughtUp, 5_000, 'catch-up');
    await own.close();
    expect(reported).toBeInstanceOf(StoreClosedError);
    expect(() => own.subscribeToAll({ onEvent: () => undefined })).toThrow(StoreClosedError);
  });
});
