/** The messages of the order-with-shipment saga and of its child, the shipment saga. */
import { z } from 'zod';

/** What the order saga's `start` takes. */
export const shippedOrderInputSchema = z.object({
  orderId: z.string().min(1),
  sku: z.string().min(1),
  quantity: z.number().int().min(1),
  address: z.string().min(1),
});
/** The input of the order saga. */
export type ShippedOrderInput = z.infer<typeof shippedOrderInputSchema>;

/** What the shipment saga's `start` takes (the order saga's `shipping` step computes it). */
export const shipmentInputSchema = z.object({
  orderId: z.string().min(1),
  parcels: z.number().int().min(1),
  address: z.string().min(1),
});
/** The input of the shipment saga. */
export type ShipmentInput = z.infer<typeof shipmentInputSchema>;

/** A reference returned by a participant. */
export const referenceSchema = z.object({ ref: z.string() });
