/**
 * Durable signals on the real engine (in-memory store, virtual clock, a worker and a client
 * following one store): random sends — ids repeated, by the worker's engine or a client, at
 * random times before, during, between and after two waits for one signal name, some of them
 * timing out — and the stream applies every signal exactly once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEngine, createInMemoryEventStore, defineSaga, isSagaError, valid } from '../../src/index.js';
import type { Engine, SagaState } from '../../src/index.js';
import { createVirtualClock } from '../../src/testing/index.js';
import { propertyRuns } from '../support/propertyRuns.js';

const RUNS = propertyRuns(100);
const WAIT_MS = 1_000;

const saga = defineSaga({ name: 'two-waits', input: z.object({}) })
  .step('first', { run: () => 1, compensate: () => {} })
  .waitFor('w1', {
    signal: 'go',
    payload: z.object({ id: z.string(), n: z.number() }),
    timeoutMs: WAIT_MS,
    classify: () => 'transient',
    retry: { maxAttempts: 2, immediateAttempts: 1, maxElapsedMs: 1e9 },
  })
  .waitFor('w2', { signal: 'go', payload: z.object({ id: z.string(), n: z.number() }), timeoutMs: WAIT_MS, optional: true })
  .step('last', { run: () => 2 });

const sendArb = fc.record({
  signalId: fc.constantFrom('a', 'b', 'c'),
  via: fc.constantFrom('worker' as const, 'client' as const),
  afterMs: fc.constantFrom(0, 0, 10, 400, 999, 1_000, 1_500),
});

async function settle(engine: Engine): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await engine.idle();
    await new Promise((r) => setTimeout(r, 0));
  }
}

describe('signals on the engine under random sends', () => {
  it('every signal is applied exactly once to the state, whatever the order, timing and duplication of sends, by the worker or a client', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(sendArb, { maxLength: 8 }), fc.boolean(), async (sends, startByClient) => {
        const clock = createVirtualClock();
        const store = createInMemoryEventStore();
        const worker = await createEngine({ store, sagas: [saga], clock, workerId: 'worker' });
        await worker.startWorker();
        const client = await createEngine({ store, sagas: [saga], clock, workerId: 'client', runSagas: false });
        try {
          const { sagaId } = await (startByClient ? client : worker).start(saga, {});
          if (startByClient) await worker.resumeUnfinished();
          const accepted = new Map<string, { id: string; n: number }>();
          for (const [n, send] of sends.entries()) {
            clock.advance(send.afterMs);
            await settle(worker);
            const payload = { id: send.signalId, n };
            try {
              const result = await (send.via === 'worker' ? worker : client).signal(sagaId, 'go', payload, { signalId: send.signalId });
              if (result.duplicate) expect(accepted.has(send.signalId), `duplicate ${send.signalId} was accepted before`).toBe(true);
              else {
                expect(accepted.has(send.signalId)).toBe(false);
                accepted.set(send.signalId, payload);
              }
            } catch (error) {
              if (!isSagaError(error) || (error.code !== 'SAGA_FINISHED' && error.code !== 'SIGNAL_NOT_AWAITED')) throw error;
              expect(accepted.has(send.signalId)).toBe(false);
            }
            await settle(worker);
          }
          let state: SagaState = await worker.state(sagaId);
          for (let i = 0; i < 20 && (state.status === 'running' || state.status === 'compensating'); i++) {
            clock.advance(WAIT_MS);
            await settle(worker);
            state = await worker.state(sagaId);
          }
          expect(['completed', 'compensated']).toContain(state.status);
          expect(valid(state, saga)).toBe(true);
          const events = await worker.events(sagaId);
          const received = events.filter((e) => e.type === 'SignalReceived').map((e) => (e.data as { signalId: string }).signalId);
          expect(received.sort()).toEqual([...accepted.keys()].sort());
          const book = state.signals ?? { received: [], inbox: [], consumed: {} };
          for (const id of accepted.keys()) {
            const used = Object.values(book.consumed).filter((c) => c === id).length;
            expect(used + book.inbox.filter((r) => r.signalId === id).length, `signal ${id}`).toBe(1);
          }
          for (const [step, id] of Object.entries(book.consumed)) expect(state.outputs[step]).toEqual(accepted.get(id));
        } finally {
          await client.close({ graceMs: 10 });
          await worker.close({ graceMs: 10 });
        }
      }),
      { numRuns: RUNS },
    );
  }, 120_000);
});
