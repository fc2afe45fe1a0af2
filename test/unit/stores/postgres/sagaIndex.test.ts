/** The pure part of the PostgreSQL claim queue: which row change an append implies. */
import { describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import type { Json } from '../../../../src/stores/eventStore.js';
import { planSagaIndexChange } from '../../../../src/stores/postgres/sagaIndex.js';

const e = (type: string, data: Json = {}): { id: string; type: string; data: Json } => ({ id: uuidv7(), type, data });
const sagaId = '0190a6c4-8f2e-7000-8000-000000000001';
const stream = `saga-${sagaId}`;

describe('planSagaIndexChange', () => {
  it('ignores streams that are not saga streams, and events that do not move the row', () => {
    expect(planSagaIndexChange('orders-1', [e('SagaStarted')])).toBeUndefined();
    expect(planSagaIndexChange(stream, [e('StepSucceeded'), e('CheckpointRecorded')])).toBeUndefined();
  });

  it('creates a runnable row on SagaStarted and drops it when the saga finishes in the same append', () => {
    expect(planSagaIndexChange(stream, [e('SagaStarted'), e('StepStarted', { worker: 'w1', leaseUntil: 1_000 })])).toEqual({
      sagaId, streamId: stream, create: true, remove: false, status: 'running', nextRunAt: 'now', lease: { owner: 'w1', until: new Date(1_000) },
    });
    expect(planSagaIndexChange(stream, [e('SagaStarted'), e('SagaCompleted')])).toMatchObject({ create: true, remove: true });
    expect(planSagaIndexChange(stream, [e('SagaCompensated')])).toMatchObject({ remove: true });
  });

  it('parks on SagaFailed, wakes on SagaResumed or a cancel, and follows RetryScheduled.dueAt', () => {
    expect(planSagaIndexChange(stream, [e('SagaFailed')])).toMatchObject({ status: 'parked', nextRunAt: null });
    expect(planSagaIndexChange(stream, [e('SagaFailed'), e('SagaResumed')])).toMatchObject({ status: 'running', nextRunAt: 'now' });
    expect(planSagaIndexChange(stream, [e('SagaCancelRequested')])).toMatchObject({ status: 'running', nextRunAt: 'now' });
    expect(planSagaIndexChange(stream, [e('RetryScheduled', { dueAt: 5_000 })])).toMatchObject({ nextRunAt: new Date(5_000) });
    // A malformed field never fails the append: the index is a cache of the log.
    expect(planSagaIndexChange(stream, [e('RetryScheduled', { dueAt: 'soon' })])).toMatchObject({ nextRunAt: 'now' });
    expect(planSagaIndexChange(stream, [e('StepStarted', { worker: 7 })])).toBeUndefined();
  });
});
