/**
 * Order with shipment: reserve stock → charge → shipping (a child saga) → confirm. The child,
 * `shipment`, packs the parcels and books a carrier, each with its own compensation. The order
 * keeps the shipment only if the order completes: if `confirm` fails, the order compensates
 * `shipping`, and the shipment undoes its own steps in reverse (cancel the booking, unpack),
 * then the order refunds and releases. A shipment that fails (no carrier) compensates itself,
 * and the order then compensates its earlier steps (docs/children.md).
 */
import { defineSaga } from '../../src/index.js';
import { referenceSchema, shipmentInputSchema, shippedOrderInputSchema } from './orderShipment.messages.js';
import type { ShippingServices } from './orderShipment.participants.js';
import { createShippingServices } from './orderShipment.participants.js';

/** The name the order saga is started by. */
export const SHIPPED_ORDER = 'shipped-order';
/** The name of the child saga. */
export const SHIPMENT = 'shipment';

const quick = { immediateAttempts: 1, maxAttempts: 3, initialDelayMs: 2, maxDelayMs: 10, jitter: 'none' } as const;

/** The shipment saga (the child) wired to `services`. */
export function createShipmentSaga(services: ShippingServices = createShippingServices()) {
  return defineSaga({ name: SHIPMENT, version: 1, input: shipmentInputSchema })
    .step('pack', {
      output: referenceSchema,
      retry: quick,
      compensationRetry: quick,
      run: (ctx) => services.act('pack', ctx.idempotencyKey),
      compensate: async (ctx) => {
        await services.act('unpack', ctx.idempotencyKey);
      },
    })
    .step('bookCarrier', {
      output: referenceSchema,
      retry: quick,
      compensationRetry: quick,
      run: (ctx) => services.act('book', ctx.idempotencyKey),
      compensate: async (ctx) => {
        await services.act('cancelBooking', ctx.idempotencyKey);
      },
    });
}

/** Both definitions, wired to one set of services: register both (`sagas: [order, shipment]`). */
export function createShippedOrderSagas(services: ShippingServices = createShippingServices()) {
  const shipment = createShipmentSaga(services);
  const order = defineSaga({ name: SHIPPED_ORDER, version: 1, input: shippedOrderInputSchema })
    .step('reserveStock', {
      output: referenceSchema,
      retry: quick,
      compensationRetry: quick,
      run: (ctx) => services.act('reserve', ctx.idempotencyKey),
      compensate: async (ctx) => {
        await services.act('release', ctx.idempotencyKey);
      },
    })
    .step('charge', {
      output: referenceSchema,
      retry: quick,
      compensationRetry: quick,
      run: (ctx) => services.act('charge', ctx.idempotencyKey),
      compensate: async (ctx) => {
        await services.act('refund', ctx.idempotencyKey);
      },
    })
    .child('shipping', {
      saga: shipment,
      input: (ctx) => ({ orderId: ctx.input.orderId, parcels: Math.ceil(ctx.input.quantity / 10), address: ctx.input.address }),
      retry: quick,
      compensationRetry: quick,
      timeoutMs: 10_000,
    })
    .step('confirm', {
      retry: quick,
      compensationRetry: quick,
      // The child's outputs, typed: the carrier booking's reference.
      run: (ctx) => services.act('confirm', ctx.outputs.shipping.bookCarrier.ref),
    });
  return { order, shipment, services };
}

/** The order definition type, with its typed outputs. */
export type ShippedOrderSaga = ReturnType<typeof createShippedOrderSagas>['order'];
