/**
 * Test helpers for the PostgreSQL store: every store opened here gets a schema of its own, so
 * test files running in parallel on one server never see each other's events.
 */
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { inject } from 'vitest';
import { createPostgresEventStore, type PostgresEventStore, type PostgresEventStoreOptions } from '../../src/stores/postgres/index.js';

/** A fresh schema name, valid for the store (lower case, ≤ 63 chars), tagged with the run id for cleanup. */
export function freshSchema(label = 't'): string {
  return `${label}_${inject('postgresRunId')}_${uuidv7().replace(/-/g, '')}`;
}

/** Opens a store on the suite's server in a fresh schema (unless `schema` is given). */
export function openTestStore(options: Partial<PostgresEventStoreOptions> = {}): Promise<PostgresEventStore> {
  return createPostgresEventStore({ connectionString: inject('postgresUrl'), schema: freshSchema(), ...options });
}

/** A plain client on the suite's server (for raw SQL in tests). Call `end()` when done. */
export async function rawClient(url: string = inject('postgresUrl')): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** A fresh saga stream id. */
export function sagaStream(): string {
  return `saga-${uuidv7()}`;
}

/** `count` new events of type `type` with `{ i }` as data. */
export function events(count: number, type = 'TestEvent', from = 0): { id: string; type: string; data: { i: number } }[] {
  return Array.from({ length: count }, (_, k) => ({ id: uuidv7(), type, data: { i: from + k } }));
}

/** Resolves when `predicate` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves with the first truthy result of `probe`, polling every 20 ms; rejects after `timeoutMs`. */
export async function pollFor<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The arguments of a raw `append_batch($1 … $9)` call appending `batch` (v3 layout: streams,
 * expected revisions, counts, ids, types, one schema version per event, data, metadata, the
 * open-stream verdicts), for tests that call the function directly.
 */
export function appendBatchArgs(stream: string, expected: number, batch: readonly { id: string; type: string; data: unknown }[]): unknown[] {
  return [
    [stream],
    [expected],
    [batch.length],
    batch.map((e) => e.id),
    batch.map((e) => e.type),
    batch.map(() => 1),
    JSON.stringify(batch.map((e) => e.data)),
    JSON.stringify(batch.map(() => ({}))),
    [null],
  ];
}
