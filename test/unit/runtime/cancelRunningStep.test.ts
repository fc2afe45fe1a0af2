/**
 * Issue 11's defect: `engine.cancel()` only appended `SagaCancelRequested`; a running step kept
 * running to its end (its AbortSignal never fired) and the saga ended seconds later. Now the
 * cancel fires the running attempt's signal at once — from the engine that cancels and from a
 * worker that sees the cancel in the store — and the interrupted step, whose effect is in
 * doubt, is compensated with the rest, in reverse order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEngine, createInMemoryEventStore, defineSaga } from '../../../src/index.js';
import type { Engine, EventStore } from '../../../src/index.js';

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close({ graceMs: 100 })));
});

function slowSaga(log: string[]) {
  return defineSaga({ name: 'slow', input: z.object({}) })
    .step('reserve', { run: () => 1, compensate: () => void log.push('undo reserve') })
    .step('wait', {
      timeoutMs: 30_000,
      // A step that honours its signal: it stops as soon as the signal fires.
      run: ({ signal }) =>
        new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => resolve(2), 20_000);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            log.push(`wait aborted: ${(signal.reason as Error).name}`);
            reject(signal.reason);
          });
        }),
      compensate: () => void log.push('undo wait'),
    });
}

async function runningWait(engine: Engine, sagaId: string): Promise<void> {
  while ((await engine.state(sagaId)).inFlight?.step !== 'wait') await new Promise((r) => setTimeout(r, 5));
}

describe('cancelling a saga whose step is running', () => {
  it("fires the running attempt's signal at once and compensates the interrupted step and the earlier ones", async () => {
    const log: string[] = [];
    const engine = await createEngine({ store: createInMemoryEventStore(), sagas: [slowSaga(log)] });
    engines.push(engine);
    const { sagaId } = await engine.start('slow', {});
    await runningWait(engine, sagaId);
    const cancelledAt = Date.now();
    await engine.cancel(sagaId, 'customer changed their mind');
    const result = await engine.result(sagaId);
    expect(Date.now() - cancelledAt, 'the saga ended without waiting for the step').toBeLessThan(2_000);
    expect(log).toEqual(['wait aborted: SagaCancelledError', 'undo wait', 'undo reserve']);
    expect(result).toMatchObject({ status: 'compensated', compensated: ['wait', 'reserve'] });
  });

  it('also when the cancel comes from another process: a worker aborts its attempt when it sees the cancel in the store', async () => {
    const log: string[] = [];
    const store: EventStore = createInMemoryEventStore();
    const worker = await createEngine({ store, sagas: [slowSaga(log)] });
    engines.push(worker);
    await worker.startWorker();
    const client = await createEngine({ store, sagas: [slowSaga(log)], runSagas: false });
    engines.push(client);
    const { sagaId } = await worker.start('slow', {});
    await runningWait(worker, sagaId);
    const cancelledAt = Date.now();
    await client.cancel(sagaId, 'from the back office');
    const result = await client.result(sagaId, { pollMs: 20 });
    expect(Date.now() - cancelledAt).toBeLessThan(2_000);
    expect(log).toEqual(['wait aborted: SagaCancelledError', 'undo wait', 'undo reserve']);
    expect(result).toMatchObject({ status: 'compensated' });
  });
});
