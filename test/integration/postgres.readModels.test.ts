/**
 * The §7 read models: the seed's `orchestration_checkpoints` / `orchestration_failures` as
 * views over the log, and the `open_streams` table that appends keep with the runtime's
 * planner (the saga directory: a saga stream is open until its terminal event).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { sagaEvent, type SagaEvent } from '../../src/core/events.js';
import { sagaOpenStreamPlanner } from '../../src/runtime/unfinishedSagas.js';
import type { NewEvent } from '../../src/stores/eventStore.js';
import type { PostgresEventStore } from '../../src/stores/postgres/index.js';
import { openTestStore, rawClient } from '../support/postgresTestStore.js';

let store: PostgresEventStore;
beforeAll(async () => {
  store = await openTestStore();
  store.openStreams.usePlanner(sagaOpenStreamPlanner);
});
afterAll(async () => {
  await store?.close();
});

const T0 = Date.parse('2030-01-01T00:00:00Z');
const ev = (event: SagaEvent): NewEvent => ({ id: uuidv7(), type: event.type, data: event.data as NewEvent['data'] });
const started = (sagaId: string): NewEvent =>
  ev(
    sagaEvent('SagaStarted', {
      sagaId,
      saga: 'order',
      version: 1,
      input: {},
      steps: [{ name: 'reserve', optional: false, checkpoint: true, compensable: true }],
      idempotencyKey: null,
      at: T0,
    }),
  );

/** Starts `n` sagas and returns their ids. */
async function startSagas(n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => uuidv7());
  await Promise.all(ids.map((id) => store.append(`saga-${id}`, [started(id)], 'no_stream')));
  return ids;
}

async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = await rawClient();
  try {
    return (await client.query(sql.replaceAll('$schema', `"${store.schema}"`), params)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('postgres read models', () => {
  it('offers checkpoints and failures as SQL views over the log', async () => {
    const sagaId = uuidv7();
    const error = { name: 'TransientError', code: 'TRANSIENT', message: 'inventory timed out' };
    await store.append(
      `saga-${sagaId}`,
      [started(sagaId), ev(sagaEvent('StepStarted', { step: 'reserve', attempt: 1, worker: 'w1', leaseUntil: T0 + 30_000, at: T0 }))],
      'no_stream',
    );
    await store.append(
      `saga-${sagaId}`,
      [ev(sagaEvent('StepFailed', { step: 'reserve', attempt: 1, kind: 'transient', exhausted: false, error, at: T0 + 1_000 }))],
      1,
    );
    await store.append(`saga-${sagaId}`, [ev(sagaEvent('CheckpointRecorded', { step: 'reserve', snapshot: { reserved: 3 }, at: T0 + 2_000 }))], 2);
    await store.append(
      `saga-${sagaId}`,
      [ev(sagaEvent('SagaFailed', { reason: 'compensation exhausted', step: 'reserve', needsAttention: true, at: T0 + 3_000 }))],
      3,
    );

    const failures = await query<Record<string, unknown>>('SELECT * FROM $schema.orchestration_failures WHERE saga_id = $1 ORDER BY position', [sagaId]);
    expect(failures).toEqual([
      expect.objectContaining({
        phase: 'step',
        step: 'reserve',
        attempt: 1,
        kind: 'transient',
        exhausted: false,
        error_code: 'TRANSIENT',
        message: 'inventory timed out',
        occurred_at: new Date(T0 + 1_000),
      }),
      expect.objectContaining({ phase: 'saga', step: 'reserve', kind: null, message: 'compensation exhausted', occurred_at: new Date(T0 + 3_000) }),
    ]);
    const checkpoints = await query<Record<string, unknown>>('SELECT * FROM $schema.orchestration_checkpoints WHERE saga_id = $1', [sagaId]);
    expect(checkpoints).toEqual([
      expect.objectContaining({ step: 'reserve', snapshot: { reserved: 3 }, revision: '3', checkpointed_at: new Date(T0 + 2_000) }),
    ]);
  });

  it('keeps a row per unfinished saga: started → open, parked or finished → gone, resumed → open again', async () => {
    const [running, parked, completed, compensated] = await startSagas(4);
    await store.append(`saga-${parked}`, [ev(sagaEvent('SagaFailed', { reason: 'x', step: null, needsAttention: true, at: T0 }))], 0);
    await store.append(`saga-${completed}`, [ev(sagaEvent('SagaCompleted', { output: null, at: T0 }))], 0);
    await store.append(`saga-${compensated}`, [ev(sagaEvent('SagaCompensated', { at: T0 }))], 0);

    const open = async (): Promise<string[]> =>
      (await query<{ stream_id: string }>('SELECT stream_id FROM $schema.open_streams ORDER BY opened_at')).map((r) => r.stream_id);
    expect(await open()).toContain(`saga-${running}`);
    for (const gone of [parked, completed, compensated]) expect(await open()).not.toContain(`saga-${gone}`);
    expect((await store.openStreams.list({ streamPrefix: 'saga-', limit: 1_000 })).streamIds).toEqual(await open());

    await store.append(`saga-${parked}`, [ev(sagaEvent('SagaResumed', { by: 'operator', at: T0 }))], 1);
    expect((await open()).at(-1)).toBe(`saga-${parked}`);
  });
});
