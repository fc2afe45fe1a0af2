/**
 * subscribeToAll on the EventStoreDB adapter, against the protocol fixture: the catch-up to
 * live switch when the client has buffered events, and resubscription after the server drops
 * every connection (nothing lost, nothing delivered twice), for one client package:
 * esdb.subscription.test.ts runs them with `@eventstore/db-client`,
 * esdb.kurrent.subscription.test.ts with `@kurrent/kurrentdb-client`.
 */
import { v7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/core/errors.js';
import type { EventStore, NewEvent, RecordedEvent, Subscription } from '../../src/stores/eventStore.js';
import { createEsdbEventStore, type EsdbEventStoreOptions } from '../../src/stores/esdb/index.js';
import { startEsdbProtocolServer, type EsdbProtocolServer } from '../../src/testing/esdb/index.js';

const events = (n: number, type = 'TestEvent'): NewEvent[] => Array.from({ length: n }, (_, i) => ({ id: v7(), type, data: { i } }));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(5);
  }
}

export function esdbSubscriptionCases(client: 'eventstore' | 'kurrentdb'): void {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function setUp(options: Partial<EsdbEventStoreOptions> = {}): Promise<{ server: EsdbProtocolServer; store: EventStore }> {
    const server = await startEsdbProtocolServer();
    cleanup.push(() => server.close());
    const store = await createEsdbEventStore({ connectionString: server.connectionString, ...options, client });
    cleanup.push(() => store.close());
    return { server, store };
  }

  function collect(store: EventStore, prefix: string, slowMs = 0) {
    const seen: RecordedEvent[] = [];
    const errors: unknown[] = [];
    let caughtUpAt = -1;
    const subscription: Subscription = store.subscribeToAll({
      streamPrefix: prefix,
      onEvent: async (event) => {
        seen.push(event);
        if (slowMs > 0) await sleep(slowMs);
      },
      onCaughtUp: () => {
        if (caughtUpAt >= 0) errors.push(new Error('onCaughtUp called twice'));
        caughtUpAt = seen.length;
      },
      onError: (error) => errors.push(error),
    });
    cleanup.push(() => subscription.unsubscribe());
    return { seen, errors, subscription, caughtUpAt: () => caughtUpAt };
  }

  describe('subscribeToAll over the protocol fixture', () => {
    it('calls onCaughtUp only after every catch-up event was handled, though the client buffered many', async () => {
      const { store } = await setUp();
      const prefix = `saga-${v7()}-`;
      for (let k = 0; k < 10; k++) await store.append(`${prefix}${k}`, events(30), 'no_stream');
      const sub = collect(store, prefix, 1);
      await waitUntil(() => sub.caughtUpAt() >= 0, 'onCaughtUp', 20_000);
      expect(sub.caughtUpAt()).toBe(300);
      await store.append(`${prefix}live`, events(2), 'no_stream');
      await waitUntil(() => sub.seen.length === 302, '302 deliveries');
      expect(sub.errors).toEqual([]);
    });

    it('resubscribes after the server drops every connection: nothing lost, nothing twice, in order', async () => {
      const { server, store } = await setUp({ reconnect: { initialDelayMs: 10, maxDelayMs: 50 } });
      const prefix = `saga-${v7()}-`;
      await store.append(`${prefix}a`, events(20), 'no_stream');
      const sub = collect(store, prefix, 2);
      // Drop while catching up (the handler is slow), then repeatedly while live.
      await waitUntil(() => sub.seen.length >= 5, '5 deliveries');
      server.dropConnections();
      for (let round = 0; round < 3; round++) {
        await store.append(`${prefix}b${round}`, events(4), 'no_stream');
        await waitUntil(() => sub.seen.length >= 20 + 4 * (round + 1), `round ${round}`);
        server.dropConnections();
      }
      await store.append(`${prefix}c`, events(3), 'no_stream');
      const expected = await store.readAll({ streamPrefix: prefix });
      expect(expected).toHaveLength(35);
      await waitUntil(() => sub.seen.length >= 35, '35 deliveries');
      await sleep(150);
      expect(sub.seen.map((e) => e.id)).toEqual(expected.map((e) => e.id));
      expect(sub.caughtUpAt()).toBeGreaterThanOrEqual(20);
      expect(sub.errors).toEqual([]);
    });

    it("starts after an `after` that is not an event's position, which the server refuses to start from", async () => {
      const { server, store } = await setUp();
      const id = `saga-${v7()}`;
      await store.append(id, events(3), 'no_stream');
      const [first, ...rest] = await store.readStream(id);
      expect(server.log.isValidPosition(BigInt(first!.position + 1))).toBe(false);
      const seen: RecordedEvent[] = [];
      const errors: unknown[] = [];
      const subscription = store.subscribeToAll({
        after: first!.position + 1,
        streamPrefix: id,
        onEvent: (e) => void seen.push(e),
        onError: (e) => errors.push(e),
      });
      cleanup.push(() => subscription.unsubscribe());
      await waitUntil(() => seen.length >= 2, '2 deliveries');
      await store.append(id, events(1), 2);
      await waitUntil(() => seen.length >= 3, '3 deliveries');
      expect(seen.map((e) => e.revision)).toEqual([...rest.map((e) => e.revision), 3]);
      expect(errors).toEqual([]);
    });

    it('gives up with StoreUnavailableError after its reconnect attempts when the server stays away', async () => {
      const { server, store } = await setUp({ reconnect: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 20 } });
      const sub = collect(store, `saga-${v7()}-`);
      await waitUntil(() => sub.caughtUpAt() >= 0, 'onCaughtUp');
      await server.close();
      await waitUntil(() => sub.errors.length > 0, 'onError');
      expect(sub.errors).toHaveLength(1);
      expect(sub.errors[0]).toBeInstanceOf(StoreUnavailableError);
      expect((sub.errors[0] as Error).message).toContain(server.connectionString);
    });
  });
}
