/**
 * Issue 11 item 2, child sagas, on the durable stores: SQLite (a real file) and PostgreSQL (the
 * private cluster the suite starts). The same cases as on the memory store
 * (test/support/childSagaCases.ts): both commit; a later parent step compensates the child;
 * a failing child compensates the parent; an engine killed mid-child leaves one child only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe } from 'vitest';
import type { Engine, EventStore } from '../../src/index.js';
import { createSqliteEventStore } from '../../src/stores/sqlite/index.js';
import { childSagaCases } from '../support/childSagaCases.js';
import { openTestStore } from '../support/postgresTestStore.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-children-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stores: [string, () => Promise<EventStore>][] = [
  ['sqlite', async () => createSqliteEventStore({ path: join(dir, `${Math.random().toString(36).slice(2)}.db`) })],
  ['postgres', () => openTestStore()],
];

const engines: Engine[] = [];
const opened: EventStore[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close({ graceMs: 100 });
  for (const s of opened.splice(0)) await s.close();
});

describe.each(stores)('child sagas on %s', (_name, open) => {
  const c = {
    engines,
    store: async () => {
      const s = await open();
      opened.push(s);
      return s;
    },
  };
  childSagaCases(c);
});
