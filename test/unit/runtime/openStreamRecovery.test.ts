/**
 * Issue 10 item 4, the saga directory: a restarted engine on a store that keeps an open-stream
 * index finds its unfinished sagas without reading the log, so start-up does not grow with
 * finished sagas; an upgraded SQLite file (history from before the index) is scanned once,
 * adopted, and read from the index from then on.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEngine, createInMemoryEventStore, defineSaga } from '../../../src/index.js';
import type { EventStore } from '../../../src/index.js';
import { createSqliteEventStore } from '../../../src/stores/sqlite/index.js';
import { killEngine } from '../../../src/testing/killEngine.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-open-streams-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let hang = true;
const saga = defineSaga({ name: 'directory', input: z.object({ n: z.number() }) })
  .step('one', { run: () => 1 })
  .step('two', { run: async () => (hang ? new Promise<number>(() => {}) : 2) });

/**
 * Counts the events of the history (appended before `since`) a store object reads from the
 * log: a scan reads them all, a subscription from the index's position none.
 */
function counting(store: EventStore, since: number): { store: EventStore; readAlls: () => number } {
  let read = 0;
  const wrapped = Object.create(store, {
    readAll: {
      value: async (...args: Parameters<EventStore['readAll']>) => {
        const page = await store.readAll(...args);
        read += page.filter((e) => e.position <= since).length;
        return page;
      },
    },
  }) as EventStore;
  return { store: wrapped, readAlls: () => read };
}

async function head(store: EventStore): Promise<number> {
  return (await store.readAll({})).at(-1)?.position ?? 0;
}

/** 40 finished sagas and 5 that a crashed engine left in step two; returns the unfinished ids. */
async function history(store: EventStore): Promise<string[]> {
  hang = false;
  const first = await createEngine({ store, sagas: [saga], leaseMs: 100 });
  for (let n = 0; n < 40; n++) await first.result((await first.start(saga, { n })).sagaId);
  await first.close();
  hang = true;
  const crashing = await createEngine({ store, sagas: [saga], leaseMs: 100 });
  const unfinished = await Promise.all(Array.from({ length: 5 }, (_, n) => crashing.start(saga, { n: 100 + n }).then((r) => r.sagaId)));
  await new Promise((r) => setTimeout(r, 50));
  killEngine(crashing);
  return unfinished;
}

async function restart(store: EventStore, unfinished: string[]): Promise<void> {
  hang = false;
  const engine = await createEngine({ store, sagas: [saga], leaseMs: 100 });
  expect(engine.recovered).toBe(unfinished.length);
  await engine.startWorker();
  for (const id of unfinished) expect((await engine.result(id)).status).toBe('completed');
  await engine.close();
}

describe('restart recovery from the open-stream index', () => {
  it('memory: resumes exactly the unfinished sagas, and reads no event of the log to find them', async () => {
    const base = createInMemoryEventStore();
    const unfinished = await history(base);
    const since = await head(base);
    expect(since).toBeGreaterThan(250);
    const { store, readAlls } = counting(base, since);
    await restart(store, unfinished);
    // The worker's subscription reads from the index's position on: none of the history.
    expect(readAlls()).toBe(0);
    expect((await base.openStreams?.list({ streamPrefix: 'saga-', limit: 100 }))?.streamIds).toEqual([]);
  });

  it('sqlite: the same on a file reopened by a new store object', async () => {
    const path = join(dir, 'fresh.db');
    const first = createSqliteEventStore({ path });
    const unfinished = await history(first);
    await first.close();
    const reopened = createSqliteEventStore({ path });
    const { store, readAlls } = counting(reopened, await head(reopened));
    await restart(store, unfinished);
    expect(readAlls()).toBe(0);
    await reopened.close();
  });

  it('sqlite: a file with history from before the index (schema v1) is scanned once, adopted, and read from the index from then on', async () => {
    const path = join(dir, 'upgraded.db');
    const first = createSqliteEventStore({ path });
    const unfinished = await history(first);
    await first.close();
    // Make it a schema v1 file, as sagaflow before the index wrote it.
    const raw = new Database(path);
    raw.exec('DROP TABLE open_streams; DROP TABLE meta; PRAGMA user_version = 1;');
    raw.close();

    const upgraded = createSqliteEventStore({ path });
    expect((await upgraded.openStreams?.list({ streamPrefix: 'saga-', limit: 10 }))?.complete).toBe(false);
    const scan = counting(upgraded, await head(upgraded));
    hang = true;
    const scanning = await createEngine({ store: scan.store, sagas: [saga], leaseMs: 100 });
    expect(scanning.recovered).toBe(5);
    expect(scan.readAlls()).toBeGreaterThan(250);
    killEngine(scanning);
    const page = await upgraded.openStreams?.list({ streamPrefix: 'saga-', limit: 10 });
    expect(page?.complete).toBe(true);
    expect(new Set(page?.streamIds)).toEqual(new Set(unfinished.map((id) => `saga-${id}`)));
    await upgraded.close();

    const after = createSqliteEventStore({ path });
    const { store, readAlls } = counting(after, await head(after));
    await restart(store, unfinished);
    expect(readAlls()).toBe(0);
    await after.close();
  });
});
