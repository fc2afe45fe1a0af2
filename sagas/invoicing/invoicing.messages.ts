/** Messages of the invoicing saga, in both versions: its input and the outputs of its steps. */
import { z } from 'zod';

/** What version 1 took: amounts were always in euros. */
export const invoiceInputV1Schema = z.object({
  invoiceId: z.string().min(1),
  customer: z.string().min(1),
  amountCents: z.number().int().positive(),
});
/** A validated version 1 request. */
export type InvoiceInputV1 = z.infer<typeof invoiceInputV1Schema>;

/** What version 2 takes: the currency is explicit (euros when omitted, as version 1 assumed). */
export const invoiceInputV2Schema = invoiceInputV1Schema.extend({ currency: z.enum(['EUR', 'USD', 'GBP']).default('EUR') });
/** A validated version 2 request. */
export type InvoiceInputV2 = z.infer<typeof invoiceInputV2Schema>;

/** An issued invoice. */
export const issuedSchema = z.object({ invoiceNumber: z.string() });
/** Version 1's charge: an amount, implicitly in euros. */
export const chargeV1Schema = z.object({ chargeId: z.string(), amountCents: z.number().int() });
/** Version 2's charge: with its currency. */
export const chargeV2Schema = chargeV1Schema.extend({ currency: z.enum(['EUR', 'USD', 'GBP']) });
/** A receipt sent to the customer (version 2 only). */
export const receiptSchema = z.object({ receiptId: z.string(), total: z.string() });
