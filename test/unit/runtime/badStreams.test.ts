import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CorruptedEventError, createEngine, defineSaga, TransientError } from '../../../src/index.js';
import type { Engine } from '../../../src/index.js';
import { createInMemoryEventStore } from '../../../src/stores/inMemory/index.js';
import { killEngine } from '../../../src/testing/killEngine.js';
import { captureLogs } from '../../support/captureLogs.js';

let engine: Engine | undefined;
afterEach(async () => engine?.close({ graceMs: 100 }));

const saga = defineSaga({ name: 'two', input: z.object({}) })
  .step('a', { run: () => 'a' })
  .step('b', { run: () => 'b' });

/** One step that throws a transient error on the calls `fails` picks (counted from 0 across sagas). */
function flakySaga(fails: (call: number) => boolean) {
  let calls = 0;
  return defineSaga({ name: 'flaky', input: z.object({}) }).step('call', {
    retry: { immediateAttempts: 1 },
    run: () => {
      if (fails(calls++)) throw new TransientError('503');
      return 1;
    },
  });
}

describe('bad streams and observability', () => {
  it('an unknown event in a stream: a clear error naming the stream and revision, the saga parked, other sagas unaffected', async () => {
    const store = createInMemoryEventStore();
    const first = await createEngine({ store, sagas: [saga], resumeUnfinished: false });
    // Start a saga and leave it unfinished with a foreign event at its end.
    const { sagaId } = await first.start('two', {});
    killEngine(first);
    const events = await store.readStream(`saga-${sagaId}`);
    await store.append(
      `saga-${sagaId}`,
      [{ id: '0190f0f0-0000-7000-8000-0000000000aa', type: 'StepTeleported', data: { to: 'mars' } }],
      events.at(-1)!.revision,
    );

    engine = await createEngine({ store, sagas: [saga], leaseMs: 10 });
    const other = await engine.start('two', {});
    expect(await engine.result(other.sagaId)).toMatchObject({ status: 'completed' });

    const error = await engine.state(sagaId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptedEventError);
    expect((error as Error).message).toContain(`saga-${sagaId} at revision ${events.length}`);
    await engine.idle();
    const tail = await store.readStream(`saga-${sagaId}`, { direction: 'backwards', maxCount: 1 });
    expect(tail[0]).toMatchObject({ type: 'SagaFailed', data: { needsAttention: true } });
    expect((tail[0]?.data as { reason: string } | undefined)?.reason).toMatch(/Unknown event type "StepTeleported"/);
    // Nothing was lost: the corrupted event and everything before it are still there.
    expect(await store.readStream(`saga-${sagaId}`)).toHaveLength(events.length + 2);
  });

  it('logs are structured and carry sagaId, saga, step and attempt', async () => {
    const { lines, logger } = captureLogs('debug');
    engine = await createEngine({ store: createInMemoryEventStore(), sagas: [flakySaga((call) => call === 0)], logger });
    const { sagaId } = await engine.start('flaky', {});
    await engine.result(sagaId);
    const failed = lines.find((l) => l['msg'] === 'step failed (transient); RetryScheduled');
    expect(failed).toMatchObject({ sagaId, saga: 'flaky', step: 'call', attempt: 1, phase: 'step', kind: 'transient', delayMs: 0 });
    expect(lines.find((l) => l['msg'] === 'step succeeded')).toMatchObject({ sagaId, step: 'call', attempt: 2, level: 20 });
  });

  it('at the default level (info) a saga that goes well logs nothing per step; a failure is a warning', async () => {
    const { lines, logger } = captureLogs('info');
    engine = await createEngine({ store: createInMemoryEventStore(), sagas: [flakySaga((call) => call === 1)], logger });
    await engine.result((await engine.start('flaky', {})).sagaId);
    expect(lines).toEqual([]);
    const { sagaId } = await engine.start('flaky', {});
    await engine.result(sagaId);
    expect(lines.map((l) => [l['msg'], l['level'], l['sagaId']])).toEqual([['step failed (transient); RetryScheduled', 40, sagaId]]);
  });
});
