/**
 * The floor under the saga figures: how fast each sagaflow store takes one-event appends
 * (`store.append`, each appender on its own stream with the expected revision, as the engine
 * appends), at 1 and 50 concurrent appenders; beside plain single-row INSERT commits
 * (autocommit, one `pg` client per connection) at 1 and 8 connections on the same durable
 * cluster — what one durable PostgreSQL commit costs here without any event-store logic.
 */
import { join } from 'node:path';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { createInMemoryEventStore } from '../src/index.js';
import type { EventStore, ExpectedRevision } from '../src/index.js';
import { createPostgresEventStore } from '../src/stores/postgres/index.js';
import { createSqliteEventStore } from '../src/stores/sqlite/index.js';

export interface RateRow {
  [column: string]: string | number;
}

/** Splits `total` operations over `workers` loops; returns the wall time in ms. */
async function timedLoops(workers: number, total: number, op: (worker: number) => Promise<void>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (next++ < total) await op(w);
    }),
  );
  return performance.now() - start;
}

async function appendRate(store: EventStore, appenders: number, total: number): Promise<number> {
  const streams = Array.from({ length: appenders }, () => ({ id: `bench-append-${uuidv7()}`, expected: 'no_stream' as ExpectedRevision }));
  return timedLoops(appenders, total, async (w) => {
    const stream = streams[w]!;
    const { nextRevision } = await store.append(stream.id, [{ id: uuidv7(), type: 'Appended', data: { n: w } }], stream.expected);
    stream.expected = nextRevision;
  });
}

async function insertRate(url: string, connections: number, total: number): Promise<number> {
  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client;
    }),
  );
  try {
    await clients[0]!.query('CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, payload jsonb NOT NULL)');
    return await timedLoops(connections, total, async (w) => {
      await clients[w]!.query('INSERT INTO bench_insert (payload) VALUES ($1)', [JSON.stringify({ n: w })]);
    });
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

function row(target: string, concurrency: number, ops: number, ms: number): RateRow {
  return { target, concurrency, operations: ops, 'ops/s': (ops / ms) * 1000, 'ms/op (wall ÷ ops)': ms / ops };
}

export async function measureAppendRates(postgresUrl: string, tempDir: string, total: number): Promise<RateRow[]> {
  const stores: [string, (tag: string) => Promise<EventStore>][] = [
    ['sagaflow · postgres: store.append', (tag) => createPostgresEventStore({ connectionString: postgresUrl, schema: `append_${tag}` })],
    ['sagaflow · sqlite: store.append', async (tag) => createSqliteEventStore({ path: join(tempDir, `append_${tag}.db`) })],
    ['sagaflow · memory: store.append', async () => createInMemoryEventStore()],
  ];
  const rows: RateRow[] = [];
  for (const [label, open] of stores) {
    for (const appenders of [1, 50]) {
      const store = await open(`c${appenders}`);
      try {
        await store.readStream('bench-append-warmup'); // opens the pool and runs the migration, untimed
        rows.push(row(label, appenders, total, await appendRate(store, appenders, total)));
      } finally {
        await store.close();
      }
    }
  }
  for (const connections of [1, 8])
    rows.push(row('plain PostgreSQL: INSERT one row, autocommit', connections, total, await insertRate(postgresUrl, connections, total)));
  return rows;
}
