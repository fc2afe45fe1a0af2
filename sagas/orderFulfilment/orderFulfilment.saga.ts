/**
 * Order fulfilment: reserve inventory → charge payment → create shipment. A failure after the
 * charge refunds it and releases the stock, in that (reverse) order.
 */
import { defineSaga, stepIdempotencyKey } from '../../src/index.js';
import { classifyParticipantError, stepPolicies } from '../shared/index.js';
import type { ExampleSagaOptions } from '../shared/index.js';
import { orderInputSchema, paymentSchema, reservationSchema, shipmentSchema } from './orderFulfilment.messages.js';
import type { OrderFulfilmentParticipants } from './orderFulfilment.participants.js';
import { createOrderFulfilmentParticipants } from './orderFulfilment.participants.js';

/** The name the saga is started by. */
export const ORDER_FULFILMENT = 'order-fulfilment';

/**
 * The order-fulfilment saga wired to `participants` (a fresh default set when omitted).
 * Compensations find the effect to undo by the step's own idempotency key, so they work even
 * when the step failed partially and returned no output.
 */
export function createOrderFulfilmentSaga(participants: OrderFulfilmentParticipants = createOrderFulfilmentParticipants(), options: ExampleSagaOptions = {}) {
  const { inventory, payments, shipping } = participants;
  const policies = stepPolicies(options);
  return defineSaga({ name: ORDER_FULFILMENT, version: 1, input: orderInputSchema, classify: classifyParticipantError })
    .step('reserveInventory', {
      ...policies,
      output: reservationSchema,
      run: (ctx) => inventory.reserve({ key: ctx.idempotencyKey, orderId: ctx.input.orderId, lines: ctx.input.lines }),
      compensate: (ctx) => inventory.release({ key: ctx.idempotencyKey, reservationKey: stepIdempotencyKey(ctx.sagaId, ctx.step) }),
    })
    .step('chargePayment', {
      ...policies,
      output: paymentSchema,
      run: (ctx) => payments.charge({ key: ctx.idempotencyKey, customerId: ctx.input.customerId, amountCents: ctx.input.amountCents }),
      compensate: (ctx) => payments.refund({ key: ctx.idempotencyKey, paymentKey: stepIdempotencyKey(ctx.sagaId, ctx.step) }),
    })
    .step('createShipment', {
      ...policies,
      output: shipmentSchema,
      // Shipping is the last step, so its compensation runs only when it failed partially.
      run: (ctx) =>
        shipping.create({
          key: ctx.idempotencyKey,
          orderId: ctx.input.orderId,
          reservationId: ctx.outputs.reserveInventory.reservationId,
          address: ctx.input.address,
        }),
      compensate: (ctx) => shipping.cancel({ key: ctx.idempotencyKey, shipmentKey: stepIdempotencyKey(ctx.sagaId, ctx.step) }),
    });
}

/** The definition type, with its typed outputs. */
export type OrderFulfilmentSaga = ReturnType<typeof createOrderFulfilmentSaga>;
