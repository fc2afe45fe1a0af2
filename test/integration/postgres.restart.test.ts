/**
 * The server goes away: `pg_ctl restart` and a stop/start outage. Appends retry (their event
 * ids make that idempotent) and subscriptions reconnect, delivering everything exactly once.
 * These tests use a cluster of their own, so other test files keep their server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/stores/eventStore.js';
import { createPostgresEventStore, type PostgresEventStore } from '../../src/stores/postgres/index.js';
import {
  destroyPostgresServer,
  restartPostgresServer,
  resumePostgresServer,
  startPostgresServer,
  stopPostgresServer,
  type PostgresServerInfo,
} from '../support/postgresServer.js';
import { events, freshSchema, waitUntil } from '../support/postgresTestStore.js';

let server: PostgresServerInfo;
beforeAll(async () => {
  server = await startPostgresServer();
});
afterAll(async () => {
  if (server) await destroyPostgresServer(server);
});

async function openStore(): Promise<PostgresEventStore> {
  // The fallback poll is a minute: prompt delivery after the restart proves LISTEN reconnected.
  return createPostgresEventStore({ connectionString: server.url, schema: freshSchema(), pollIntervalMs: 60_000, retryBudgetMs: 30_000 });
}

function subscribe(store: PostgresEventStore): { received: RecordedEvent[]; errors: unknown[]; stop: () => Promise<void> } {
  const received: RecordedEvent[] = [];
  const errors: unknown[] = [];
  const sub = store.subscribeToAll({ onEvent: (e) => void received.push(e), onError: (e) => void errors.push(e) });
  return { received, errors, stop: () => sub.unsubscribe() };
}

describe('postgres store: server restarts', () => {
  it('a subscription survives `pg_ctl restart` and delivers everything exactly once', async () => {
    const store = await openStore();
    const sub = subscribe(store);
    try {
      for (let i = 0; i < 10; i++) await store.append(`before-${i}`, events(3), 'no_stream');
      await waitUntil(() => sub.received.length === 30, 10_000, 'events before the restart');

      // Keep appending while the server restarts: appends in flight are retried.
      let writing = true;
      let written = 30;
      const writer = (async () => {
        for (let i = 0; writing || i < 5; i++) {
          await store.append(`during-${i}`, events(2), 'no_stream');
          written += 2;
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await restartPostgresServer(server);
      await new Promise((resolve) => setTimeout(resolve, 300));
      writing = false;
      await writer;

      const started = Date.now();
      await store.append('after-1', events(4), 'no_stream');
      written += 4;
      await waitUntil(() => sub.received.length === written, 10_000, 'every event, including those after the restart');
      expect(Date.now() - started).toBeLessThan(10_000);

      const all = await store.readAll();
      expect(all).toHaveLength(written);
      expect(sub.received.map((e) => e.id)).toEqual(all.map((e) => e.id));
      expect(sub.errors).toEqual([]);
    } finally {
      await sub.stop();
      await store.close();
    }
  });

  it('rides out a short outage: an append made while the server is down completes when it is back', async () => {
    const store = await openStore();
    const sub = subscribe(store);
    try {
      await store.append('outage-1', events(2), 'no_stream');
      await waitUntil(() => sub.received.length === 2, 10_000, 'the first events');
      await stopPostgresServer(server);
      const pending = store.append('outage-1', events(3), 1);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await resumePostgresServer(server);
      expect(await pending).toMatchObject({ nextRevision: 4 });
      await waitUntil(() => sub.received.length === 5, 15_000, 'the events appended during the outage');
      expect((await store.readStream('outage-1')).map((e) => e.revision)).toEqual([0, 1, 2, 3, 4]);
      expect(sub.errors).toEqual([]);
    } finally {
      await sub.stop();
      await store.close();
    }
  });
});
