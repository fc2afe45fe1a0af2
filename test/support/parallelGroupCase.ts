/**
 * One parallel group, driven through a real engine on any store: reserve → [hotel ‖ flight ‖
 * car] → pay. The hotel runs until its signal fires; the flight fails permanently once the car
 * has succeeded. Shared by the in-memory, SQLite and PostgreSQL tests.
 */
import { z } from 'zod';
import { createEngine, defineSaga, PermanentError } from '../../src/index.js';
import type { EventStore, SagaState } from '../../src/index.js';

export interface ParallelCaseResult {
  /** What the participants did, in order. */
  log: string[];
  /** What `engine.result` said. */
  result: unknown;
  /** The stream's event types, in order. */
  types: string[];
  /** The final state (a fold of the stream). */
  state: SagaState;
}

function tripSaga(log: string[], failFlight: boolean) {
  let carDone!: () => void;
  const carBooked = new Promise<void>((resolve) => (carDone = resolve));
  return defineSaga({ name: 'parallel-trip', input: z.object({}) })
    .step('reserve', { run: () => ({ seat: 1 }), compensate: () => void log.push('undo reserve') })
    .parallel('book', { concurrency: 3 }, (g) =>
      g
        .step('hotel', {
          run: ({ signal }) =>
            new Promise<{ room: number }>((resolve, reject) => {
              if (!failFlight) return resolve({ room: 7 });
              signal.addEventListener('abort', () => {
                log.push('hotel aborted');
                reject(signal.reason);
              });
            }),
          compensate: () => void log.push('undo hotel'),
        })
        .step('flight', {
          retry: { maxAttempts: 1 },
          run: async () => {
            await carBooked;
            if (failFlight) {
              log.push('flight refused');
              throw new PermanentError('NO_SEATS');
            }
            return { flight: 'LX 1' };
          },
          compensate: () => void log.push('undo flight'),
        })
        .step('car', {
          run: () => {
            setTimeout(carDone, 20);
            log.push('car booked');
            return { car: 'compact' };
          },
          compensate: () => void log.push('undo car'),
        }),
    )
    .step('pay', {
      // Typed: every branch's output is here.
      run: ({ outputs }) => {
        log.push(`pay for room ${outputs.hotel.room}, ${outputs.flight.flight}, ${outputs.car.car}`);
        return { paid: true };
      },
    });
}

/** Runs the case on `store` to its end; `failFlight` false lets every branch succeed. */
export async function runParallelCase(store: EventStore, failFlight = true): Promise<ParallelCaseResult> {
  const log: string[] = [];
  const engine = await createEngine({ store, sagas: [tripSaga(log, failFlight)] });
  try {
    const { sagaId } = await engine.start('parallel-trip', {});
    const result = await engine.result(sagaId).catch((error: unknown) => error);
    const events = await store.readStream(`saga-${sagaId}`);
    return { log, result, types: events.map((e) => e.type), state: await engine.state(sagaId) };
  } finally {
    await engine.close({ graceMs: 100 });
  }
}
