/**
 * The saga the recovery benchmarks run, loaded both in the bench process and by the victim
 * worker process (`sagaflow worker --sagas ./bench/recoverySagas.ts`).
 * `rto`: four steps of 50–400 ms each (uniform), which respect the abort signal.
 * `resumed`: two instant steps, for the restart benchmark.
 */
import { z } from 'zod';
import { defineSaga } from '../src/index.js';

function work(signal: AbortSignal): Promise<string> {
  const ms = 50 + Math.random() * 350;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(`${Math.round(ms)}ms`), ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

export const rtoSaga = defineSaga({ name: 'rto', input: z.object({ i: z.number() }) })
  .step('a', { run: ({ signal }) => work(signal) })
  .step('b', { run: ({ signal }) => work(signal) })
  .step('c', { run: ({ signal }) => work(signal) })
  .step('d', { run: ({ signal }) => work(signal) });

export const resumedSaga = defineSaga({ name: 'resumed', input: z.object({ i: z.number() }) })
  .step('reserve', { run: ({ input }) => ({ id: input.i }) })
  .step('confirm', { run: () => 'ok' });

export const sagas = [rtoSaga, resumedSaga];
