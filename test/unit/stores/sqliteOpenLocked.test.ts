/**
 * Opening a SQLite store whose write lock another process holds: an existing store opens at
 * once (reads need no write lock in WAL mode); one that needs its schema written waits for the
 * lock within the busy timeout, then fails with a typed StoreUnavailableError that says so —
 * never an uncaught exception.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 } from 'uuid';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../src/core/errors.js';
import { BUSY_TIMEOUT_MS } from '../../../src/stores/sqlite/sqliteSchema.js';
import { createSqliteEventStore } from '../../../src/stores/sqlite/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-sqlite-locked-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const betterSqlite = createRequire(import.meta.url).resolve('better-sqlite3');

/** A child process that opens `file` and holds its write lock (BEGIN IMMEDIATE) until killed. */
async function holdWriteLock(file: string): Promise<ChildProcess> {
  const code = `const D = require(${JSON.stringify(betterSqlite)}); const db = new D(${JSON.stringify(file)}); db.pragma('journal_mode = WAL'); db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (c) => reject(new Error(`lock holder exited ${c}`)));
  });
  return child;
}

describe('opening a SQLite store another process holds the write lock of', () => {
  it('opens an existing store at once and reads it; appends wait for the lock, then fail as unavailable', async () => {
    const file = join(dir, 'existing.db');
    const first = createSqliteEventStore({ path: file });
    const stream = `saga-${v7()}`;
    await first.append(stream, [{ id: v7(), type: 'E', data: null }], 'no_stream');
    await first.close();
    const holder = await holdWriteLock(file);
    try {
      const started = Date.now();
      const store = createSqliteEventStore({ path: file });
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await store.readStream(stream)).toHaveLength(1);
      await expect(store.append(stream, [{ id: v7(), type: 'E', data: null }], 0)).rejects.toBeInstanceOf(StoreUnavailableError);
      await store.close();
    } finally {
      holder.kill('SIGKILL');
    }
  }, 30_000);

  it('a store that needs its schema written waits up to the busy timeout, then throws StoreUnavailableError naming the lock and the bound', async () => {
    const file = join(dir, 'fresh.db');
    const holder = await holdWriteLock(file);
    try {
      const started = Date.now();
      let error: unknown;
      try {
        createSqliteEventStore({ path: file });
      } catch (e) {
        error = e;
      }
      const waited = Date.now() - started;
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/another process holds the write lock/);
      expect((error as Error).message).toContain(`${BUSY_TIMEOUT_MS} ms`);
      expect(waited).toBeGreaterThanOrEqual(BUSY_TIMEOUT_MS - 100);
      expect(waited).toBeLessThan(BUSY_TIMEOUT_MS + 3_000);
    } finally {
      holder.kill('SIGKILL');
    }
  }, 30_000);
});
