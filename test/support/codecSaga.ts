/**
 * A saga that carries a card number everywhere a payload goes (input, a step output, a
 * checkpoint snapshot, an error message) and compensates, for the codec tests on every store.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { defineSaga, PermanentError } from '../../src/index.js';

export const CARD = '4111 1111 1111 1111';

export const paymentSaga = defineSaga({ name: 'payment', input: z.object({ card: z.string(), amount: z.number() }) })
  .step('authorize', {
    checkpoint: true,
    run: ({ input }) => ({ authorization: `auth for ${input.card}` }),
    compensate: () => {},
  })
  .step('capture', {
    run: ({ input }) => {
      throw new PermanentError(`card ${input.card} declined`, { details: { code: 'DECLINED', card: input.card } });
    },
  });

/** A fresh 32-byte key, base64. */
export function newKey(): string {
  return randomBytes(32).toString('base64');
}
