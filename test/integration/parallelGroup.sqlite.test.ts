/** A parallel group on a real SQLite file: fan-out, fan-in, and a branch's permanent failure. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { violations } from '../../src/core/index.js';
import { createEngine, defineSaga } from '../../src/index.js';
import { createSqliteEventStore } from '../../src/stores/sqlite/index.js';
import { runParallelCase } from '../support/parallelGroupCase.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-parallel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a parallel group on SQLite', () => {
  it('completes with every branch output seen by the step after the group', async () => {
    const store = createSqliteEventStore({ path: join(dir, 'ok.db') });
    try {
      const { log, result, state } = await runParallelCase(store, false);
      expect(log).toEqual(['car booked', 'pay for room 7, LX 1, compact']);
      expect(result).toMatchObject({ status: 'completed' });
      expect(violations(state)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('a branch running past its lease is not taken over by its own worker when a sibling reports (the worker record covers it)', async () => {
    const store = createSqliteEventStore({ path: join(dir, 'long.db') });
    const runs: string[] = [];
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const branch =
      (name: string, ms: number) =>
      async ({ attempt }: { attempt: number }) => {
        runs.push(`${name}#${attempt}`);
        await sleep(ms);
        return ms;
      };
    const saga = defineSaga({ name: 'long', input: z.object({}) }).parallel('g', {}, (g) =>
      g.step('slow', { run: branch('slow', 900) }).step('quick', { run: branch('quick', 500) }),
    );
    const engine = await createEngine({ store, sagas: [saga], leaseMs: 200 });
    try {
      const { sagaId } = await engine.start('long', {});
      expect(await engine.result(sagaId)).toMatchObject({ status: 'completed' });
      expect(runs.sort()).toEqual(['quick#1', 'slow#1']);
    } finally {
      await engine.close({ graceMs: 100 });
      await store.close();
    }
  });

  it("a branch's permanent failure aborts the running branch's signal and compensates in reverse completion order, then the earlier steps", async () => {
    const store = createSqliteEventStore({ path: join(dir, 'fail.db') });
    try {
      const { log, result, state, types } = await runParallelCase(store);
      expect(log).toEqual(['car booked', 'flight refused', 'hotel aborted', 'undo hotel', 'undo car', 'undo reserve']);
      expect(result).toMatchObject({ status: 'compensated', compensated: ['hotel', 'car', 'reserve'] });
      expect(state.compensation?.plan).toEqual(['hotel', 'car', 'reserve']);
      expect(types.filter((t) => t === 'StepStarted')).toHaveLength(4);
      expect(violations(state)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
