/** Messages of the bank-transfer saga: its input and the outputs of its steps. */
import { z } from 'zod';

/** What `engine.start('bank-transfer', input)` takes. */
export const transferInputSchema = z
  .object({
    transferId: z.string().min(1),
    from: z.string().min(1),
    to: z.string().min(1),
    amountCents: z.number().int().positive(),
  })
  .refine((t) => t.from !== t.to, { message: 'from and to must be different accounts', path: ['to'] });
/** A validated transfer request. */
export type TransferInput = z.infer<typeof transferInputSchema>;

/** A posted movement of money. */
export const postingSchema = z.object({ postingId: z.string(), amountCents: z.number().int() });
export type Posting = z.infer<typeof postingSchema>;
