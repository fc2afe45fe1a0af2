/**
 * The two sagas of the comparison in sagaflow's DSL; bench/peers/*Peer.ts write the same two
 * in DBOS and Restate. Steps are instant so the figures are the engines' own cost (journal,
 * round trips, fsyncs), not the participants'.
 */
import { z } from 'zod';
import { defineSaga, PermanentError } from '../src/index.js';

const input = z.object({ i: z.number() });

export const threeStepSaga = defineSaga({ name: 'benchThreeSteps', input })
  .step('reserve', { run: ({ input }) => ({ id: input.i }), compensate: () => {} })
  .step('charge', { run: () => ({ paid: true }), compensate: () => {} })
  .step('ship', { run: () => 'shipped' });

export const compensatingSaga = defineSaga({ name: 'benchCompensating', input })
  .step('reserve', { run: ({ input }) => ({ id: input.i }), compensate: () => {} })
  .step('charge', { run: () => ({ paid: true }), compensate: () => {} })
  .step('ship', {
    run: () => {
      throw new PermanentError('carrier refused the parcel');
    },
  });

/** The compensations a compensating run must report, in this order (reverse of the steps). */
export const EXPECTED_COMPENSATIONS = ['charge', 'reserve'] as const;

/** 'compensated' only when the compensations ran in exact reverse order; otherwise a description. */
export function checkCompensations(compensated: readonly string[]): 'compensated' | string {
  return compensated.join(',') === EXPECTED_COMPENSATIONS.join(',') ? 'compensated' : `compensated in the wrong order: ${compensated.join(', ')}`;
}
