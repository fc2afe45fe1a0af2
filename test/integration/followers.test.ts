/**
 * No herd in steady state: on the stores with worker liveness (SQLite, PostgreSQL), a worker
 * that follows the store does not load the sagas another live worker drives. It notes which
 * worker holds each and wakes them only if that worker dies (the liveness tests check the
 * takeover itself). Without this, every worker loaded every saga on every append of another.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteEventStore } from '../../src/stores/sqlite/index.js';
import { followerLoads } from '../support/followerLoads.js';
import { openTestStore } from '../support/postgresTestStore.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-followers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a following worker loads no saga that a live worker drives', () => {
  it('SQLite', async () => {
    const path = join(dir, 'followers.db');
    const [a, b] = [createSqliteEventStore({ path }), createSqliteEventStore({ path })];
    try {
      expect(await followerLoads(a, b, 100)).toEqual({ completed: 100, followerReads: 0 });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('PostgreSQL', async () => {
    const a = await openTestStore();
    const b = await openTestStore({ schema: a.schema });
    try {
      expect(await followerLoads(a, b, 100)).toEqual({ completed: 100, followerReads: 0 });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
