/**
 * The example sagas: order fulfilment, trip booking, bank transfer, invoicing (two versions
 * and the migration between them), parallel trip booking and card payment (a signal wait), each
 * with in-process participants that deduplicate by idempotency key and accept planted faults;
 * ticket hold (a saga deadline that stops the running step, retry budgets per step); and
 * order with shipment (a child saga: the shipment is kept only if the order completes).
 *
 * `sagas` is a default set (fresh participants, default policies): the module the CLI's
 * `resume --sagas sagas/index.ts` loads.
 */
export * from './shared/index.js';
export * from './orderFulfilment/orderFulfilment.messages.js';
export * from './orderFulfilment/orderFulfilment.participants.js';
export * from './orderFulfilment/orderFulfilment.saga.js';
export * from './tripBooking/tripBooking.messages.js';
export * from './tripBooking/tripBooking.participants.js';
export * from './tripBooking/tripBooking.saga.js';
export * from './parallelTrip/parallelTrip.saga.js';
export * from './bankTransfer/bankTransfer.messages.js';
export * from './bankTransfer/bankTransfer.participants.js';
export * from './bankTransfer/bankTransfer.saga.js';
export * from './invoicing/invoicing.messages.js';
export * from './invoicing/invoicing.participants.js';
export * from './invoicing/invoicing.saga.js';
export * from './cardPayment/cardPayment.messages.js';
export * from './cardPayment/cardPayment.participants.js';
export * from './cardPayment/cardPayment.saga.js';
export * from './ticketHold/ticketHold.messages.js';
export * from './ticketHold/ticketHold.participants.js';
export * from './ticketHold/ticketHold.saga.js';
export * from './orderShipment/orderShipment.messages.js';
export * from './orderShipment/orderShipment.participants.js';
export * from './orderShipment/orderShipment.saga.js';

import { createBankTransferSaga } from './bankTransfer/bankTransfer.saga.js';
import { createCardPaymentSaga } from './cardPayment/cardPayment.saga.js';
import { createOrderFulfilmentSaga } from './orderFulfilment/orderFulfilment.saga.js';
import { createTripBookingSaga } from './tripBooking/tripBooking.saga.js';
import { createShippedOrderSagas } from './orderShipment/orderShipment.saga.js';

const shippedOrder = createShippedOrderSagas();

/** The example sagas with default participants and policies. */
export const sagas = [
  createOrderFulfilmentSaga(),
  createTripBookingSaga(),
  createBankTransferSaga(),
  createCardPaymentSaga(),
  shippedOrder.order,
  shippedOrder.shipment,
] as const;
