/**
 * Issue 11 item 5 on the durable stores: the version cases (test/support/versionCases.ts) on a
 * real SQLite file and on the PostgreSQL cluster the suite starts. Each case opens a second
 * handle on the same data for the restarted worker, as a new process would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import type { EventStore } from '../../src/stores/eventStore.js';
import { createSqliteEventStore } from '../../src/stores/sqlite/index.js';
import { freshSchema, openTestStore } from '../support/postgresTestStore.js';
import { versionCases } from '../support/versionCases.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-versions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Handles opened by a case, closed when it ends. */
function handles(open: () => Promise<EventStore>) {
  const opened: EventStore[] = [];
  return {
    handle: async () => {
      const store = await open();
      opened.push(store);
      return store;
    },
    dispose: async () => {
      for (const store of opened.splice(0)) await store.close().catch(() => {});
    },
  };
}

describe('versioned definitions on SQLite (a file)', () => {
  versionCases(async () => {
    const path = join(dir, `${Math.random().toString(36).slice(2)}.db`);
    return handles(async () => createSqliteEventStore({ path }));
  });
});

describe('versioned definitions on PostgreSQL', () => {
  versionCases(async () => {
    const schema = freshSchema('versions');
    return handles(() => openTestStore({ schema }));
  });
});
