/**
 * The §7 read models: the seed's `orchestration_checkpoints` / `orchestration_failures` as
 * views over the log, and the `sagas` claim queue that appends maintain and workers claim
 * with FOR UPDATE SKIP LOCKED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { sagaEvent, type SagaEvent } from '../../src/core/events.js';
import type { NewEvent } from '../../src/stores/eventStore.js';
import type { PostgresEventStore } from '../../src/stores/postgres/index.js';
import { openTestStore, rawClient } from '../support/postgresTestStore.js';

let store: PostgresEventStore;
beforeAll(async () => {
  store = await openTestStore();
});
afterAll(async () => {
  await store?.close();
});

const T0 = Date.parse('2030-01-01T00:00:00Z');
const ev = (event: SagaEvent): NewEvent => ({ id: uuidv7(), type: event.type, data: event.data as NewEvent['data'] });
const started = (sagaId: string): NewEvent =>
  ev(sagaEvent('SagaStarted', { sagaId, saga: 'order', version: 1, input: {}, steps: [{ name: 'reserve', optional: false, checkpoint: true, compensable: true }], idempotencyKey: null, at: T0 }));

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
    await store.append(`saga-${sagaId}`, [started(sagaId), ev(sagaEvent('StepStarted', { step: 'reserve', attempt: 1, worker: 'w1', leaseUntil: T0 + 30_000, at: T0 }))], 'no_stream');
    await store.append(`saga-${sagaId}`, [ev(sagaEvent('StepFailed', { step: 'reserve', attempt: 1, kind: 'transient', exhausted: false, error, at: T0 + 1_000 }))], 1);
    await store.append(`saga-${sagaId}`, [ev(sagaEvent('CheckpointRecorded', { step: 'reserve', snapshot: { reserved: 3 }, at: T0 + 2_000 }))], 2);
    await store.append(`saga-${sagaId}`, [ev(sagaEvent('SagaFailed', { reason: 'compensation exhausted', step: 'reserve', needsAttention: true, at: T0 + 3_000 }))], 3);

    const failures = await query<Record<string, unknown>>('SELECT * FROM $schema.orchestration_failures WHERE saga_id = $1 ORDER BY position', [sagaId]);
    expect(failures).toEqual([
      expect.objectContaining({ phase: 'step', step: 'reserve', attempt: 1, kind: 'transient', exhausted: false, error_code: 'TRANSIENT', message: 'inventory timed out', occurred_at: new Date(T0 + 1_000) }),
      expect.objectContaining({ phase: 'saga', step: 'reserve', kind: null, message: 'compensation exhausted', occurred_at: new Date(T0 + 3_000) }),
    ]);
    const checkpoints = await query<Record<string, unknown>>('SELECT * FROM $schema.orchestration_checkpoints WHERE saga_id = $1', [sagaId]);
    expect(checkpoints).toEqual([expect.objectContaining({ step: 'reserve', snapshot: { reserved: 3 }, revision: '3', checkpointed_at: new Date(T0 + 2_000) })]);
  });

  it('keeps a row per unfinished saga: started → running, parked → kept but unclaimable, finished → gone', async () => {
    const [running, parked, completed, compensated, waiting] = await startSagas(5);
    await store.append(`saga-${parked}`, [ev(sagaEvent('SagaFailed', { reason: 'x', step: null, needsAttention: true, at: T0 }))], 0);
    await store.append(`saga-${completed}`, [ev(sagaEvent('SagaCompleted', { output: null, at: T0 }))], 0);
    await store.append(`saga-${compensated}`, [ev(sagaEvent('SagaCompensated', { at: T0 }))], 0);
    await store.append(`saga-${waiting}`, [ev(sagaEvent('RetryScheduled', { phase: 'step', step: 'reserve', attempt: 2, dueAt: T0, at: T0 }))], 0);

    const rows = await query<{ saga_id: string; status: string; next_run_at: Date | null }>('SELECT saga_id, status, next_run_at FROM $schema.sagas');
    const byId = new Map(rows.map((r) => [r.saga_id, r]));
    expect(byId.get(running!)).toMatchObject({ status: 'running' });
    expect(byId.get(parked!)).toMatchObject({ status: 'parked', next_run_at: null });
    expect(byId.has(completed!)).toBe(false);
    expect(byId.has(compensated!)).toBe(false);
    expect(byId.get(waiting!)).toMatchObject({ status: 'running', next_run_at: new Date(T0) });

    const claimed = (await store.claimRunnableSagas(100, 60_000, 'w1')).map((c) => c.sagaId);
    expect(claimed).toContain(running);
    expect(claimed).not.toContain(parked);
    expect(claimed).not.toContain(waiting); // due in 2030

    await store.append(`saga-${parked}`, [ev(sagaEvent('SagaResumed', { by: 'operator', at: T0 }))], 1);
    expect((await store.claimRunnableSagas(100, 60_000, 'w2')).map((c) => c.sagaId)).toEqual([parked]);
  });

  it('leases sagas to one worker at a time; an expired lease fails over; a step lease in the log is honoured', async () => {
    const [a, b] = await startSagas(2);
    const mine = (sagas: { sagaId: string }[]): string[] => sagas.map((s) => s.sagaId).filter((id) => id === a || id === b).sort();
    expect(mine(await store.claimRunnableSagas(100, 150, 'w1'))).toEqual([a, b].sort());
    expect(mine(await store.claimRunnableSagas(100, 150, 'w2'))).toEqual([]);
    expect(await store.releaseSagaLease(a!, 'w2')).toBe(false);
    expect(await store.releaseSagaLease(a!, 'w1')).toBe(true);
    expect(mine(await store.claimRunnableSagas(100, 60_000, 'w2'))).toEqual([a]);
    await new Promise((resolve) => setTimeout(resolve, 200)); // w1's lease on b expires
    expect(mine(await store.claimRunnableSagas(100, 60_000, 'w3'))).toEqual([b]);

    // A StepStarted with a lease (as the runtime appends it) keeps others away until it expires.
    const [c] = await startSagas(1);
    await store.append(`saga-${c}`, [ev(sagaEvent('StepStarted', { step: 'reserve', attempt: 1, worker: 'w9', leaseUntil: Date.now() + 60_000, at: Date.now() }))], 0);
    expect((await store.claimRunnableSagas(100, 60_000, 'w4')).map((s) => s.sagaId)).not.toContain(c);
  });

  it('skips rows another worker holds locked instead of waiting (SKIP LOCKED), and never hands one saga to two claimers', async () => {
    const ids = await startSagas(12);
    const holder = await rawClient();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM "${store.schema}".sagas WHERE saga_id = ANY($1) FOR UPDATE`, [ids.slice(0, 4)]);
      const began = Date.now();
      const claims = await Promise.all(['a', 'b', 'c'].map((owner) => store.claimRunnableSagas(5, 60_000, owner)));
      expect(Date.now() - began).toBeLessThan(2_000); // not blocked by the held rows
      const claimed = claims.flat().map((c) => c.sagaId).filter((id) => ids.includes(id));
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.sort()).toEqual(ids.slice(4).sort());
      await holder.query('ROLLBACK');
      expect((await store.claimRunnableSagas(100, 60_000, 'd')).map((c) => c.sagaId).sort()).toEqual(ids.slice(0, 4).sort());
    } finally {
      await holder.end();
    }
  });
});
