/** Messages of the order-fulfilment saga: its input and the outputs of its steps. */
import { z } from 'zod';

/** One line of an order: a SKU and how many. */
export const orderLineSchema = z.object({
  sku: z.string().min(1),
  quantity: z.number().int().positive(),
});
/** One order line. */
export type OrderLine = z.infer<typeof orderLineSchema>;

/** What `engine.start('order-fulfilment', input)` takes. */
export const orderInputSchema = z.object({
  orderId: z.string().min(1),
  customerId: z.string().min(1),
  lines: z.array(orderLineSchema).min(1),
  /** Total to charge, in cents. */
  amountCents: z.number().int().positive(),
  address: z.string().min(1),
});
/** A validated order. */
export type OrderInput = z.infer<typeof orderInputSchema>;

/** Output of `reserveInventory`. */
export const reservationSchema = z.object({ reservationId: z.string() });
export type Reservation = z.infer<typeof reservationSchema>;

/** Output of `chargePayment`. */
export const paymentSchema = z.object({ paymentId: z.string(), amountCents: z.number().int() });
export type Payment = z.infer<typeof paymentSchema>;

/** Output of `createShipment`. */
export const shipmentSchema = z.object({ shipmentId: z.string(), trackingNumber: z.string() });
export type Shipment = z.infer<typeof shipmentSchema>;
