/**
 * Issue 11 item 5 on the in-memory store: the shared version cases (test/support/versionCases.ts,
 * also run on SQLite and PostgreSQL), then the edges: a newer version is left to workers that
 * have it, engine.migrate refuses what it cannot do, a failing migration parks, registration
 * checks.
 */
import { describe } from 'vitest';
import { createInMemoryEventStore } from '../../../src/stores/inMemory/index.js';
import { versionCases } from '../../support/versionCases.js';

describe('versioned definitions (in-memory store)', () => {
  versionCases(async () => {
    const store = createInMemoryEventStore();
    return { handle: async () => store, dispose: async () => {} };
  });
});
