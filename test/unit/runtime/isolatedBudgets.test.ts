/**
 * Issue 11 item 6 and the rest of item 4: every step and every compensation has its own retry
 * budget (attempts and elapsed time) — no step's retries consume another's, and compensations
 * keep their full budget whatever the steps used (MassTransit users lose compensation retries
 * to earlier steps) — and a cancel that arrives during compensation does not stop it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEngine, createInMemoryEventStore, defineSaga, PermanentError, TransientError } from '../../../src/index.js';
import type { Engine } from '../../../src/index.js';

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close({ graceMs: 100 });
  engine = undefined;
});

const fast = { initialDelayMs: 1, maxDelayMs: 2 };

describe('isolated retry budgets', () => {
  it("a step that used all but one of its attempts leaves the next step's budget whole, and compensations get theirs in full", async () => {
    const calls = new Map<string, number>();
    const count = (key: string): number => {
      calls.set(key, (calls.get(key) ?? 0) + 1);
      return calls.get(key) as number;
    };
    const saga = defineSaga({ name: 'budgets', input: z.object({}) })
      // a: fails 3 times of its 4 attempts, then succeeds.
      .step('a', {
        retry: { maxAttempts: 4, ...fast },
        run: () => {
          if (count('a') < 4) throw new TransientError('a busy');
          return 'a';
        },
        // Its compensation fails 4 times of its 5 attempts: it must still get all 5.
        compensationRetry: { maxAttempts: 5, ...fast },
        compensate: () => {
          if (count('undo a') < 5) throw new TransientError('refunds busy');
        },
      })
      // b: also needs 4 attempts of its own 4, then fails for good.
      .step('b', {
        retry: { maxAttempts: 4, ...fast },
        compensationRetry: { maxAttempts: 5, ...fast },
        run: () => {
          if (count('b') < 4) throw new TransientError('b busy');
          throw new PermanentError('b refused');
        },
        compensate: () => {
          if (count('undo b') < 5) throw new TransientError('b undo busy');
        },
      });
    engine = await createEngine({ store: createInMemoryEventStore(), sagas: [saga] });
    const { sagaId } = await engine.start(saga, {});
    const result = await engine.result(sagaId);
    expect(result).toMatchObject({ status: 'compensated', failure: { step: 'b', kind: 'permanent' } });
    expect(Object.fromEntries(calls)).toEqual({ a: 4, b: 4, 'undo a': 5 });
  });

  it('a cancel that arrives during compensation changes nothing: the compensation goes on to its end', async () => {
    const log: string[] = [];
    let release!: () => void;
    const slowUndo = new Promise<void>((r) => {
      release = r;
    });
    const saga = defineSaga({ name: 'undoing', input: z.object({}) })
      .step('a', {
        run: () => 1,
        compensate: async () => {
          log.push('undo a started');
          await slowUndo;
          log.push('undo a done');
        },
      })
      .step('b', {
        run: () => {
          throw new PermanentError('b refused');
        },
      });
    engine = await createEngine({ store: createInMemoryEventStore(), sagas: [saga] });
    const { sagaId } = await engine.start(saga, {});
    while (!log.includes('undo a started')) await new Promise((r) => setTimeout(r, 5));
    expect(await engine.cancel(sagaId, 'too late')).toBe(false);
    release();
    expect(await engine.result(sagaId)).toMatchObject({ status: 'compensated', compensated: ['a'], failure: { step: 'b' } });
    expect(log).toEqual(['undo a started', 'undo a done']);
    expect((await engine.events(sagaId)).some((e) => e.type === 'SagaCancelRequested')).toBe(false);
  });
});
