/**
 * Real second processes on one SQLite file: a child appends while this process subscribes,
 * both race on one stream, and a child that subscribed exits by itself after close().
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { v7 } from 'uuid';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamVersionConflictError } from '../../../src/core/errors.js';
import type { RecordedEvent } from '../../../src/stores/eventStore.js';
import { createSqliteEventStore } from '../../../src/stores/sqlite/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-sqlite-child-'));
const path = join(dir, 'events.db');
const script = resolve(import.meta.dirname, '../../support/sqliteChildAppender.ts');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the child script; resolves with the ids it printed and how long it took to exit. */
function runChild(args: string[], timeoutMs = 30_000): Promise<{ ids: string[]; ms: number }> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, path, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child ${args.join(' ')} did not exit within ${timeoutMs} ms; stderr: ${err}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`child ${args.join(' ')} exited with ${code}: ${err}`));
      resolvePromise({ ids: JSON.parse(out) as string[], ms: Date.now() - started });
    });
  });
}

describe('SQLite store shared with a child process', () => {
  it('delivers to a subscription here what a child process appends, in order, exactly once', async () => {
    const store = createSqliteEventStore({ path, pollIntervalMs: 20 });
    const stream = `saga-${v7()}`;
    const seen: RecordedEvent[] = [];
    let caughtUp = false;
    const sub = store.subscribeToAll({ streamPrefix: stream, onEvent: (e) => void seen.push(e), onCaughtUp: () => (caughtUp = true) });
    try {
      const child = await runChild(['append', stream, '20', '5']);
      const deadline = Date.now() + 10_000;
      while (seen.length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 100));
      expect(caughtUp).toBe(true);
      expect(seen.map((e) => e.id)).toEqual(child.ids);
      expect(seen.map((e) => e.revision)).toEqual(child.ids.map((_, i) => i));
    } finally {
      await sub.unsubscribe();
      await store.close();
    }
  });

  it('two processes racing on one stream with expected revisions lose and duplicate nothing', async () => {
    const store = createSqliteEventStore({ path });
    const stream = `saga-${v7()}`;
    const mine: string[] = [];
    const appendHere = async () => {
      for (let i = 0; i < 100; i++) {
        const id = v7();
        for (;;) {
          const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
          try {
            await store.append(stream, [{ id, type: 'Raced', data: { i } }], last ? last.revision : 'no_stream');
            break;
          } catch (error) {
            if (!(error instanceof StreamVersionConflictError)) throw error;
            await new Promise((r) => setImmediate(r));
          }
        }
        mine.push(id);
        // Yield to the event loop so the child's appends interleave with ours.
        await new Promise((r) => setTimeout(r, 1));
      }
    };
    try {
      const child = runChild(['race', stream, '150', '1']);
      // Start once the child is writing, so that the two really overlap.
      while ((await store.readStream(stream, { maxCount: 1 })).length === 0) await new Promise((r) => setTimeout(r, 2));
      const [{ ids: childIds }] = await Promise.all([child, appendHere()]);
      const read = await store.readStream(stream);
      const fromChild = new Set(childIds);
      const switches = read.filter((e, i) => i > 0 && fromChild.has(e.id) !== fromChild.has(read[i - 1]!.id)).length;
      expect(switches).toBeGreaterThan(1);
      expect(read.map((e) => e.revision)).toEqual(read.map((_, i) => i));
      expect(read.map((e) => e.id).sort()).toEqual([...mine, ...childIds].sort());
      // Each process's own events keep their order.
      expect(read.map((e) => e.id).filter((id) => mine.includes(id))).toEqual(mine);
    } finally {
      await store.close();
    }
  });

  it('a process with open subscriptions exits by itself once it closed its store', async () => {
    const child = await runChild(['subscribe-and-close']);
    expect(child.ids).toHaveLength(1);
    const store = createSqliteEventStore({ path });
    try {
      expect(await store.readAll({ after: 0 }).then((all) => all.some((e) => e.id === child.ids[0]))).toBe(true);
    } finally {
      await store.close();
    }
  });
});
