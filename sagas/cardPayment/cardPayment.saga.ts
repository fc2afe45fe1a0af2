/**
 * Card payment: authorize → wait for the provider's confirmation → capture. The saga waits
 * durably for the `payment-confirmed` signal (`engine.signal(sagaId, 'payment-confirmed', …)`),
 * which may arrive before the saga waits (it is kept) or twice (it is applied once). A
 * confirmation that never comes times out, a permanent failure: the hold on the card is voided.
 */
import { defineSaga, PermanentError } from '../../src/index.js';
import { classifyParticipantError, stepPolicies } from '../shared/index.js';
import type { ExampleSagaOptions } from '../shared/index.js';
import { authorizationSchema, captureSchema, confirmationSchema, PAYMENT_CONFIRMED, paymentInputSchema } from './cardPayment.messages.js';
import type { CardPaymentParticipants } from './cardPayment.participants.js';
import { createCardPaymentParticipants } from './cardPayment.participants.js';

/** The name the saga is started by. */
export const CARD_PAYMENT = 'card-payment';

/** Options of {@link createCardPaymentSaga}: the example options plus how long to wait for the confirmation. */
export interface CardPaymentOptions extends ExampleSagaOptions {
  /** How long the saga waits for `payment-confirmed`, in ms. @default 900_000 (15 minutes) */
  confirmationTimeoutMs?: number;
}

/** The card-payment saga wired to `participants` (a fresh gateway when omitted). */
export function createCardPaymentSaga(participants: CardPaymentParticipants = createCardPaymentParticipants(), options: CardPaymentOptions = {}) {
  const { gateway } = participants;
  const policies = stepPolicies(options);
  return defineSaga({ name: CARD_PAYMENT, version: 1, input: paymentInputSchema, classify: classifyParticipantError })
    .step('authorize', {
      ...policies,
      output: authorizationSchema,
      run: (ctx) => gateway.authorize({ key: ctx.idempotencyKey, amountCents: ctx.input.amountCents }),
      compensate: (ctx) => {
        if (ctx.output) gateway.void(ctx.output.authorizationId);
      },
    })
    .waitFor('confirmation', {
      signal: PAYMENT_CONFIRMED,
      payload: confirmationSchema,
      timeoutMs: options.confirmationTimeoutMs ?? 900_000,
    })
    .step('capture', {
      ...policies,
      output: captureSchema,
      run: (ctx) => {
        // The confirmation is typed: ctx.outputs.confirmation is the validated payload.
        if (ctx.outputs.confirmation.authorizationId !== ctx.outputs.authorize.authorizationId)
          throw new PermanentError(`confirmation is for ${ctx.outputs.confirmation.authorizationId}, not ${ctx.outputs.authorize.authorizationId}`);
        return gateway.capture(ctx.outputs.authorize.authorizationId);
      },
    });
}

/** The definition type, with its typed outputs. */
export type CardPaymentSaga = ReturnType<typeof createCardPaymentSaga>;
