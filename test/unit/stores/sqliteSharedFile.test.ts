/**
 * SQLite beyond the contract: several store objects (standing in for processes) on one file,
 * durability across reopen, and the file layout.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 } from 'uuid';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { StreamVersionConflictError } from '../../../src/core/errors.js';
import type { EventStore, RecordedEvent } from '../../../src/stores/eventStore.js';
import { createSqliteEventStore } from '../../../src/stores/sqlite/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-sqlite-shared-'));
const open: EventStore[] = [];
const openStore = (path: string, pollIntervalMs?: number) => {
  const store = createSqliteEventStore({ path, pollIntervalMs });
  open.push(store);
  return store;
};
const event = (type = 'E', data: Record<string, number> = {}) => ({ id: v7(), type, data });
const waitUntil = async (condition: () => boolean, what: string, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite store on a shared file', () => {
  it('creates missing parent directories and a WAL file', async () => {
    const path = join(dir, 'a', 'b', 'c', 'events.db');
    const store = openStore(path);
    await store.append(`saga-${v7()}`, [event()], 'no_stream');
    expect(store.path).toBe(path);
    expect(existsSync(path)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(true);
  });

  it('two store objects see each other’s appends and fence each other by expected revision', async () => {
    const path = join(dir, 'two.db');
    const a = openStore(path);
    const b = openStore(path);
    const stream = `saga-${v7()}`;
    await a.append(stream, [event()], 'no_stream');
    expect(await b.readStream(stream)).toHaveLength(1);
    await b.append(stream, [event()], 0);
    await expect(a.append(stream, [event()], 0)).rejects.toBeInstanceOf(StreamVersionConflictError);
    expect((await a.readStream(stream)).map((e) => e.revision)).toEqual([0, 1]);
    expect(await a.readAll({ streamPrefix: stream })).toEqual(await b.readAll({ streamPrefix: stream }));
  });

  it('a subscription on one store object delivers appends made through another, in order, once', async () => {
    const path = join(dir, 'sub.db');
    const a = openStore(path, 10);
    const b = openStore(path, 10);
    const prefix = `saga-${v7()}-`;
    await b.append(`${prefix}0`, [event()], 'no_stream');
    const seen: RecordedEvent[] = [];
    let caughtUp = 0;
    const sub = a.subscribeToAll({ streamPrefix: prefix, onEvent: (e) => void seen.push(e), onCaughtUp: () => caughtUp++ });
    await waitUntil(() => caughtUp === 1, 'catch-up');
    for (let i = 1; i <= 10; i++) {
      await (i % 2 ? b : a).append(`${prefix}${i % 3}`, [event('E', { i })], 'any');
      if (i % 4 === 0) await new Promise((resolve) => setTimeout(resolve, 15));
    }
    const all = await b.readAll({ streamPrefix: prefix });
    await waitUntil(() => seen.length >= all.length, 'deliveries from the other store object');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual(all);
    await sub.unsubscribe();
  });

  it('keeps events and continues positions after close and reopen', async () => {
    const path = join(dir, 'reopen.db');
    const first = createSqliteEventStore({ path });
    const stream = `saga-${v7()}`;
    const written = await first.append(stream, [event(), event()], 'no_stream');
    await first.close();
    const again = openStore(path);
    expect((await again.readStream(stream)).map((e) => e.revision)).toEqual([0, 1]);
    const next = await again.append(stream, [event()], 1);
    expect(next.position).toBeGreaterThan(written.position);
  });

  it('rejects reusing an event id in a different append (ids are unique in the file)', async () => {
    const store = openStore(join(dir, 'ids.db'));
    const reused = event();
    await store.append(`saga-${v7()}`, [reused], 'no_stream');
    const other = `saga-${v7()}`;
    const error = await store.append(other, [event(), reused], 'no_stream').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamVersionConflictError);
    expect((error as StreamVersionConflictError).details).toMatchObject({ reason: 'event_id_in_use', eventId: reused.id });
    expect(await store.readStream(other)).toEqual([]);
  });
});
