/**
 * verifyStreams, the engine of `sagaflow verify`: one pass over the log in pages, folding
 * streams as their events arrive, must report exactly what folding each whole stream reports.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { v7 } from 'uuid';
import { afterAll, describe, expect, it } from 'vitest';
import { streamProblems } from '../../../src/cli/inspectCommands.js';
import { readAllSagaStreams } from '../../../src/cli/sagaStreams.js';
import { verifyStreams } from '../../../src/cli/verifyStreams.js';
import { sagaEvent, type SagaEvent } from '../../../src/core/events.js';
import { sagaStreamId, toNewEvents } from '../../../src/runtime/sagaStream.js';
import type { EventStore } from '../../../src/stores/eventStore.js';
import { createInMemoryEventStore } from '../../../src/stores/inMemory/index.js';
import { createSqliteEventStore } from '../../../src/stores/sqlite/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const steps = [
  { name: 'a', optional: false, checkpoint: false, compensable: true },
  { name: 'b', optional: false, checkpoint: false, compensable: false },
];
const started = (sagaId: string): SagaEvent => sagaEvent('SagaStarted', { sagaId, saga: 'v', version: 1, input: null, steps, idempotencyKey: null, at: 1 });
const run = (step: string, attempt = 1): SagaEvent[] => [
  sagaEvent('StepStarted', { step, attempt, worker: 'w', leaseUntil: 99, at: 2 }),
  sagaEvent('StepSucceeded', { step, attempt, output: null, at: 3 }),
];

/** Stories, appended interleaved (one event of each in turn) so that pages cut through every stream. */
function stories(): Record<string, SagaEvent[]> {
  const ids = Array.from({ length: 5 }, () => v7());
  return {
    [ids[0] as string]: [started(ids[0] as string), ...run('a'), ...run('b'), sagaEvent('SagaCompleted', { at: 4 })],
    // Out of order: b before a.
    [ids[1] as string]: [started(ids[1] as string), ...run('b')],
    // Ended, then more events: the checker must fold it again.
    [ids[2] as string]: [started(ids[2] as string), ...run('a'), ...run('b'), sagaEvent('SagaCompleted', { at: 4 }), ...run('a', 2)],
    // Parked, waiting for an operator: consistent, and it can continue (once resumed).
    [ids[3] as string]: [started(ids[3] as string), sagaEvent('SagaFailed', { reason: 'x', step: null, needsAttention: true, at: 5 })],
    // Still running, healthy.
    [ids[4] as string]: [started(ids[4] as string), ...run('a')],
  };
}

async function fill(store: EventStore, all: Record<string, SagaEvent[]>): Promise<void> {
  const next = new Map(Object.keys(all).map((id) => [id, 0]));
  while (next.size > 0) {
    for (const [id, i] of next) {
      const event = all[id]?.[i];
      if (!event) {
        next.delete(id);
        continue;
      }
      await store.append(sagaStreamId(id), toNewEvents([event], {}), i === 0 ? 'no_stream' : i - 1);
      next.set(id, i + 1);
    }
  }
}

describe('verifyStreams', () => {
  it('reports, whatever the page size, exactly the problems found by folding each whole stream', async () => {
    const store = createInMemoryEventStore();
    await fill(store, stories());
    const reference = new Map((await readAllSagaStreams(store)).map((s) => [s.sagaId, streamProblems(s)]));
    for (const pageSize of [1, 2, 3, 7, 5_000]) {
      const verdicts = await verifyStreams(store, undefined, { pageSize, now: 10 });
      expect(verdicts.map((v) => v.sagaId)).toEqual([...reference.keys()]);
      for (const v of verdicts) {
        const valid = v.problems.filter((p) => !p.problem.startsWith('cannot continue')).map((p) => `revision ${p.revision}: ${p.problem}`);
        expect(valid).toEqual(reference.get(v.sagaId));
      }
    }
    const [completed, outOfOrder, , parked, running] = await verifyStreams(store, undefined, { now: 10 });
    expect(completed).toMatchObject({ valid: true, canContinue: true, status: 'completed', events: 6 });
    expect(outOfOrder).toMatchObject({ valid: false, status: 'running' });
    expect(parked).toMatchObject({ valid: true, canContinue: true, status: 'failed', needsAttention: true });
    expect(running).toMatchObject({ valid: true, canContinue: true, problems: [] });
  });

  it('names an event whose JSON cannot be read, at its stream and revision, and goes on past it', async () => {
    const path = join(dir, 'bad.db');
    const store = createSqliteEventStore({ path });
    const all = stories();
    await fill(store, all);
    await store.close();
    const [victim] = Object.keys(all);
    const db = new Database(path);
    db.prepare('UPDATE events SET data = ? WHERE stream_id = ? AND revision = 1').run('{oops', sagaStreamId(victim as string));
    db.close();
    const reader = createSqliteEventStore({ path, readOnly: true });
    for (const pageSize of [2, 5_000]) {
      const verdicts = await verifyStreams(reader, undefined, { pageSize, now: 10 });
      expect(verdicts).toHaveLength(5);
      const bad = verdicts.find((v) => v.sagaId === victim);
      expect(bad).toMatchObject({
        status: 'unreadable',
        valid: false,
        events: 6,
        problems: [{ revision: 1, problem: expect.stringContaining('invalid JSON') }],
      });
      expect(verdicts.filter((v) => v.problems.length === 0).map((v) => v.sagaId)).toContain(Object.keys(all)[4]);
    }
    await reader.close();
  });
});
