/**
 * SQLite group commit: appends started in one turn of the event loop share one transaction
 * (observed on disk, by counting commit frames in the WAL file), behave as if they ran one
 * after the other, fail one by one, resolve only once durable, and keep positions increasing
 * while another process writes to the same file.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { v7 } from 'uuid';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { StoreClosedError, StoreUnavailableError, StreamVersionConflictError } from '../../../src/core/errors.js';
import type { AppendResult, EventStore } from '../../../src/stores/eventStore.js';
import { createSqliteEventStore } from '../../../src/stores/sqlite/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-sqlite-group-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const open: EventStore[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.close()));
});
const freshStore = () => {
  const path = join(dir, `${v7()}.db`);
  const store = createSqliteEventStore({ path });
  open.push(store);
  return { store, path };
};
const event = (data: Record<string, number> = {}) => ({ id: v7(), type: 'E', data });

/**
 * Commits recorded in the WAL file: frames of the current WAL generation (matching salts)
 * whose header carries a database size, which SQLite writes only on a transaction's last frame.
 */
function walCommits(path: string): number {
  const wal = readFileSync(`${path}-wal`);
  if (wal.length < 32) return 0;
  const pageSize = wal.readUInt32BE(8);
  const [salt1, salt2] = [wal.readUInt32BE(16), wal.readUInt32BE(20)];
  let commits = 0;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    if (wal.readUInt32BE(at + 8) !== salt1 || wal.readUInt32BE(at + 12) !== salt2) break;
    if (wal.readUInt32BE(at + 4) !== 0) commits++;
  }
  return commits;
}

describe('SQLite group commit', () => {
  it('counts one WAL commit per awaited append (the observation below is real)', async () => {
    const { store, path } = freshStore();
    const before = walCommits(path);
    for (let i = 0; i < 3; i++) await store.append(`saga-${v7()}`, [event()], 'no_stream');
    expect(walCommits(path) - before).toBe(3);
  });

  it('commits 50 appends to 50 streams started in one tick in one transaction', async () => {
    const { store, path } = freshStore();
    const before = walCommits(path);
    const streams = Array.from({ length: 50 }, () => `saga-${v7()}`);
    const results = await Promise.all(streams.map((stream) => store.append(stream, [event()], 'no_stream')));
    expect(walCommits(path) - before).toBe(1);
    const positions = results.map((r) => r.position);
    // Positions follow the order the appends were made in.
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(positions).size).toBe(50);
    const all = await store.readAll();
    expect(all.map((e) => e.streamId)).toEqual(streams);
    expect(all.map((e) => e.position)).toEqual(positions);
  });

  it('rejects only the append with a wrong expected revision; the 49 others commit', async () => {
    const { store, path } = freshStore();
    const streams = Array.from({ length: 50 }, () => `saga-${v7()}`);
    await store.append(streams[17]!, [event()], 'no_stream');
    const before = walCommits(path);
    const settled = await Promise.allSettled(streams.map((stream) => store.append(stream, [event(), event()], 'no_stream')));
    expect(walCommits(path) - before).toBe(1);
    const rejected = settled.flatMap((s, i) => (s.status === 'rejected' ? [[i, s.reason] as const] : []));
    expect(rejected.map(([i]) => i)).toEqual([17]);
    expect(rejected[0]![1]).toBeInstanceOf(StreamVersionConflictError);
    expect((rejected[0]![1] as StreamVersionConflictError).details).toMatchObject({ streamId: streams[17], expected: 'no_stream', actual: 0 });
    for (const [i, stream] of streams.entries()) {
      expect((await store.readStream(stream)).map((e) => e.revision)).toEqual(i === 17 ? [0] : [0, 1]);
    }
  });

  it('two appends to one stream in one batch behave as if sequential', async () => {
    const { store, path } = freshStore();
    const stream = `saga-${v7()}`;
    let before = walCommits(path);
    const [first, second] = await Promise.all([store.append(stream, [event()], 'no_stream'), store.append(stream, [event()], 0)]);
    expect(walCommits(path) - before).toBe(1);
    expect([first.nextRevision, second.nextRevision]).toEqual([0, 1]);
    expect(second.position).toBeGreaterThan(first.position);

    const other = `saga-${v7()}`;
    before = walCommits(path);
    const settled = await Promise.allSettled([store.append(other, [event({ n: 1 })], 'no_stream'), store.append(other, [event({ n: 2 })], 'no_stream')]);
    expect(walCommits(path) - before).toBe(1);
    expect(settled[0].status).toBe('fulfilled');
    expect(settled[1].status).toBe('rejected');
    const reason = (settled[1] as PromiseRejectedResult).reason as StreamVersionConflictError;
    expect(reason).toBeInstanceOf(StreamVersionConflictError);
    expect(reason.details).toMatchObject({ expected: 'no_stream', actual: 0 });
    expect((await store.readStream(other)).map((e) => e.data)).toEqual([{ n: 1 }]);
  });

  it('sees earlier appends of the same batch for idempotency and event-id reuse', async () => {
    const { store } = freshStore();
    const stream = `saga-${v7()}`;
    const events = [event(), event()];
    const reused = event();
    const [original, retry, reuse, byReuser] = await Promise.allSettled([
      store.append(stream, events, 'no_stream'),
      store.append(stream, events, 'no_stream'),
      store.append(`saga-${v7()}`, [reused], 'no_stream'),
      store.append(`saga-${v7()}`, [event(), reused], 'no_stream'),
    ]);
    expect([original.status, retry.status]).toEqual(['fulfilled', 'fulfilled']);
    expect((retry as PromiseFulfilledResult<AppendResult>).value).toEqual((original as PromiseFulfilledResult<AppendResult>).value);
    expect(reuse.status).toBe('fulfilled');
    expect((byReuser as PromiseRejectedResult).reason).toBeInstanceOf(StreamVersionConflictError);
    expect(((byReuser as PromiseRejectedResult).reason as StreamVersionConflictError).details).toMatchObject({ reason: 'event_id_in_use', eventId: reused.id });
    expect(await store.readStream(stream)).toHaveLength(2);
    expect(await store.readAll()).toHaveLength(3);
  });

  it('resolves an append only once it is committed: another connection sees it by then, not before', async () => {
    const { store, path } = freshStore();
    const other = new Database(path, { readonly: true });
    try {
      const count = other.prepare('SELECT count(*) FROM events').pluck();
      const appends = Array.from({ length: 10 }, () => store.append(`saga-${v7()}`, [event()], 'no_stream'));
      expect(count.get()).toBe(0);
      await appends[0];
      expect(count.get()).toBe(10);
      await Promise.all(appends);
    } finally {
      other.close();
    }
  });

  it('commits appends queued before close() and refuses later ones', async () => {
    const path = join(dir, `${v7()}.db`);
    const store = createSqliteEventStore({ path });
    const streams = Array.from({ length: 5 }, () => `saga-${v7()}`);
    const appends = streams.map((stream) => store.append(stream, [event()], 'no_stream'));
    await store.close();
    expect((await Promise.all(appends)).map((r) => r.nextRevision)).toEqual([0, 0, 0, 0, 0]);
    await expect(store.append(`saga-${v7()}`, [event()], 'no_stream')).rejects.toBeInstanceOf(StoreClosedError);
    const again = createSqliteEventStore({ path });
    open.push(again);
    expect((await again.readAll()).map((e) => e.streamId)).toEqual(streams);
  });

  it('fails every append of the batch with StoreUnavailableError when the write lock stays taken past the busy timeout', async () => {
    const { store, path } = freshStore();
    const holder = new Database(path);
    let settled: PromiseSettledResult<AppendResult>[];
    try {
      holder.exec('BEGIN IMMEDIATE');
      settled = await Promise.allSettled(Array.from({ length: 3 }, () => store.append(`saga-${v7()}`, [event()], 'no_stream')));
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
    }
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      expect((s as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
      expect(((s as PromiseRejectedResult).reason as StoreUnavailableError).details).toMatchObject({ code: 'SQLITE_BUSY' });
    }
    expect(await store.readAll()).toEqual([]);
    await store.append(`saga-${v7()}`, [event()], 'no_stream');
    expect(await store.readAll()).toHaveLength(1);
  }, 20_000);

  it('splits a very large turn into several transactions, all committed', async () => {
    const { store, path } = freshStore();
    const before = walCommits(path);
    const results = await Promise.all(Array.from({ length: 1_001 }, () => store.append(`saga-${v7()}`, [event()], 'no_stream')));
    expect(walCommits(path) - before).toBe(2);
    expect(new Set(results.map((r) => r.position)).size).toBe(1_001);
  });
});

const burstScript = resolve(import.meta.dirname, '../../support/sqliteBurstAppender.ts');

/** Runs the burst child; resolves with what it appended, in the order it started the appends. */
function runBurstChild(path: string, prefix: string, rounds: number, width: number, delayMs: number): Promise<{ id: string; position: number }[]> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', burstScript, path, prefix, String(rounds), String(width), String(delayMs)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`burst child did not exit within 30 s; stderr: ${err}`));
    }, 30_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`burst child exited with ${code}: ${err}`));
      resolvePromise(JSON.parse(out) as { id: string; position: number }[]);
    });
  });
}

describe('SQLite group commit with a second process on the file', () => {
  it('gives both processes distinct positions, increasing in each process’s commit order', async () => {
    const { store } = freshStore();
    const [childPrefix, myPrefix] = [`saga-${v7()}`, `saga-${v7()}`];
    const [rounds, width] = [40, 25];
    const child = runBurstChild(store.path, childPrefix, rounds, width, 2);
    // Start once the child is writing, so that the two really overlap.
    while ((await store.readAll({ streamPrefix: childPrefix, maxCount: 1 })).length === 0) await new Promise((r) => setTimeout(r, 2));
    const mine: { id: string; position: number }[] = [];
    for (let round = 0; round < rounds; round++) {
      const batch = Array.from({ length: width }, async (_, w) => {
        const id = v7();
        const { position } = await store.append(`${myPrefix}-${w}`, [{ id, type: 'Burst', data: { round, w } }], round === 0 ? 'no_stream' : round - 1);
        return { id, position };
      });
      mine.push(...(await Promise.all(batch)));
      await new Promise((r) => setTimeout(r, 1));
    }
    const theirs = await child;

    const all = (await store.readAll()).filter((e) => e.streamId.startsWith(childPrefix) || e.streamId.startsWith(myPrefix));
    expect(all).toHaveLength(2 * rounds * width);
    // Each process's positions increase in the order it made its appends, and match the file.
    for (const results of [mine, theirs]) {
      const positions = results.map((r) => r.position);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      expect(new Set(positions).size).toBe(positions.length);
    }
    const stored = new Map(all.map((e) => [e.id, e.position]));
    for (const r of [...mine, ...theirs]) expect(stored.get(r.id)).toBe(r.position);
    expect(new Set(all.map((e) => e.position)).size).toBe(all.length);
    // The two processes' commits really interleaved.
    const fromChild = new Set(theirs.map((r) => r.id));
    const switches = all.filter((e, i) => i > 0 && fromChild.has(e.id) !== fromChild.has(all[i - 1]!.id)).length;
    expect(switches).toBeGreaterThan(1);
    for (let w = 0; w < width; w++) {
      for (const prefix of [childPrefix, myPrefix]) {
        expect((await store.readStream(`${prefix}-${w}`)).map((e) => e.revision)).toEqual(Array.from({ length: rounds }, (_, i) => i));
      }
    }
  }, 40_000);
});
