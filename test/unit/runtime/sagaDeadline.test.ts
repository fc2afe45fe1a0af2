/**
 * Issue 11 item 4, deadlines: a saga-level deadline (`defineSaga({ deadlineMs })`, or
 * `engine.start(…, { deadlineMs })`) cancels a running saga when it passes — the running
 * step's signal fires at once, and the saga compensates — whether a step is running then or
 * the saga is waiting for a retry.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEngine, createInMemoryEventStore, defineSaga, TransientError } from '../../../src/index.js';
import type { Engine } from '../../../src/index.js';

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close({ graceMs: 100 });
  engine = undefined;
});

function saga(log: string[], second: 'slow' | 'retrying', deadlineMs?: number) {
  return defineSaga({ name: 'deadlined', input: z.object({}), ...(deadlineMs === undefined ? {} : { deadlineMs }) })
    .step('reserve', { run: () => 1, compensate: () => void log.push('undo reserve') })
    .step('second', {
      timeoutMs: 30_000,
      retry: { maxAttempts: 5, initialDelayMs: 20_000, maxDelayMs: 20_000 },
      run: ({ signal, attempt }) => {
        if (second === 'retrying') throw new TransientError(`busy (attempt ${attempt})`);
        return new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => resolve(2), 20_000);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            log.push('second stopped');
            reject(signal.reason);
          });
        });
      },
      compensate: () => void log.push('undo second'),
    });
}

describe('saga deadlines', () => {
  it('a step still running at the deadline is stopped through its signal, and the saga compensates', async () => {
    const log: string[] = [];
    engine = await createEngine({ store: createInMemoryEventStore(), sagas: [saga(log, 'slow', 150)] });
    const started = Date.now();
    const { sagaId } = await engine.start('deadlined', {});
    const result = await engine.result(sagaId);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result).toMatchObject({ status: 'compensated', compensated: ['second', 'reserve'] });
    expect(log).toEqual(['second stopped', 'undo second', 'undo reserve']);
    const cancel = (await engine.events(sagaId)).find((e) => e.type === 'SagaCancelRequested');
    expect((cancel?.data as { reason: string } | undefined)?.reason).toMatch(/^deadline passed: the saga had to end by \d+ \(ms since the epoch\)$/);
  });

  it('a saga waiting for a retry past its deadline is cancelled at the deadline, not after the retry', async () => {
    const log: string[] = [];
    engine = await createEngine({ store: createInMemoryEventStore(), sagas: [saga(log, 'retrying')] });
    const started = Date.now();
    // The start option overrides the definition (which has none here).
    const { sagaId } = await engine.start('deadlined', {}, { deadlineMs: 200 });
    const result = await engine.result(sagaId);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result).toMatchObject({ status: 'compensated', compensated: ['reserve'], failure: { kind: 'cancel' } });
    expect(log).toEqual(['undo reserve']);
  });

  it('refuses a deadline that is not a positive number of ms, and starts nothing', async () => {
    expect(() => saga([], 'slow', 0)).toThrow(/deadlineMs must be a positive number of ms/);
    engine = await createEngine({ store: createInMemoryEventStore(), sagas: [saga([], 'slow')] });
    await expect(engine.start('deadlined', {}, { deadlineMs: -5 })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });
});
