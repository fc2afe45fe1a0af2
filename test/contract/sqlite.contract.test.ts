import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createSqliteEventStore } from '../../src/stores/sqlite/index.js';
import { describeEventStoreContract } from '../../src/testing/eventStoreContract.js';

// A real file on disk (WAL, fsync), shared by every store object the suite opens.
const dir = mkdtempSync(join(tmpdir(), 'sagaflow-sqlite-contract-'));
const path = join(dir, 'nested', 'events.db');

describeEventStoreContract('sqlite', () => createSqliteEventStore({ path }), { large: true, openStreams: true, openStreamClaims: true });

afterAll(() => rmSync(dir, { recursive: true, force: true }));
