/**
 * Restart recovery on a real SQLite file: a worker process is SIGKILLed in the middle of a
 * step and while a retry timer is pending; a new engine on the same file resumes both.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, fold, parseSagaEvent } from '../../src/index.js';
import { createSqliteEventStore } from '../../src/stores/sqlite/index.js';
import { readCalls, restartSagas } from '../support/restartSagas.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('restart recovery on a SQLite file', () => {
  it('a new engine resumes every unfinished saga: the in-doubt step re-runs with the same idempotency key, and the persisted retry timer is honoured', async () => {
    const db = join(dir, 'sagas.db');
    const calls = join(dir, 'calls.jsonl');
    const hang = join(dir, 'hang');
    writeFileSync(hang, '');
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/restartWorker.ts', db, calls, hang], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => existsSync(`${hang}.running`) && out.includes('\n') && readCalls(calls).some((c) => c.step === 'flaky'), 'the worker to hang in step b');
    const ids = JSON.parse(out.trim()) as { hanging: string; retrying: string };
    // The flaky call is logged a few ms before its failure and retry timer are committed; the
    // assertions below need them recorded before the kill, so wait for them in the file.
    const probe = createSqliteEventStore({ path: db });
    let retryRecorded = false;
    for (const end = Date.now() + 20_000; !retryRecorded && Date.now() < end; await new Promise((r) => setTimeout(r, 5))) {
      retryRecorded = (await probe.readStream(`saga-${ids.retrying}`)).some((e) => e.type === 'RetryScheduled');
    }
    await probe.close();
    if (!retryRecorded) throw new Error('timed out waiting for the worker to record RetryScheduled');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const killedAt = Date.now();
    rmSync(hang);

    const store = createSqliteEventStore({ path: db });
    const engine = await createEngine({ store, sagas: restartSagas(calls, hang), leaseMs: 500 });
    try {
      expect(engine.recovered).toBe(2);
      expect(await engine.result(ids.hanging)).toMatchObject({ status: 'completed' });
      expect(await engine.result(ids.retrying)).toMatchObject({ status: 'completed' });

      const b = readCalls(calls).filter((c) => c.step === 'b');
      expect(b.map((c) => c.attempt)).toEqual([1, 2]);
      expect(new Set(b.map((c) => c.key))).toEqual(new Set([`${ids.hanging}/b`]));
      expect(b[0]?.pid).not.toBe(b[1]?.pid);
      expect(readCalls(calls).filter((c) => c.step === 'a')).toHaveLength(1);

      // The retry was due 1.5 s after the first failure, recorded before the kill; the new engine waited for it.
      const flaky = readCalls(calls).filter((c) => c.step === 'flaky');
      const events = (await store.readStream(`saga-${ids.retrying}`)).map((e) => parseSagaEvent(e, e));
      const scheduled = events.find((e) => e.type === 'RetryScheduled');
      expect(scheduled?.type === 'RetryScheduled' && scheduled.data.dueAt).toBeLessThanOrEqual(flaky[1]?.at ?? 0);
      expect(flaky.map((c) => c.attempt)).toEqual([1, 2]);
      expect(fold(events)?.status).toBe('completed');
      expect(flaky[1]?.pid).toBe(process.pid);
      expect(flaky[1]?.at ?? 0).toBeGreaterThan(killedAt - 1_500);
    } finally {
      await engine.close();
      await store.close();
    }
  });
});
