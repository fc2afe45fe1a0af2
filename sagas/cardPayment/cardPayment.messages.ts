/** Messages of the card-payment saga: its input, the outputs of its steps, and the signal it waits for. */
import { z } from 'zod';

/** What `engine.start('card-payment', input)` takes. */
export const paymentInputSchema = z.object({
  orderId: z.string().min(1),
  amountCents: z.number().int().positive(),
});
/** A validated payment request. */
export type PaymentInput = z.infer<typeof paymentInputSchema>;

/** An authorization (a hold on the card) the gateway granted. */
export const authorizationSchema = z.object({ authorizationId: z.string(), amountCents: z.number().int() });
export type Authorization = z.infer<typeof authorizationSchema>;

/** The name of the signal the saga waits for: the payment provider confirmed the payment (3-D Secure, bank app…). */
export const PAYMENT_CONFIRMED = 'payment-confirmed';

/** The payload of the `payment-confirmed` signal, as `engine.signal` must send it. */
export const confirmationSchema = z.object({
  authorizationId: z.string().min(1),
  /** Who confirmed: e.g. 'card-holder' or '3ds'. */
  confirmedBy: z.string().min(1),
});
export type Confirmation = z.infer<typeof confirmationSchema>;

/** A captured payment: the money moved. */
export const captureSchema = z.object({ captureId: z.string(), amountCents: z.number().int() });
export type Capture = z.infer<typeof captureSchema>;
