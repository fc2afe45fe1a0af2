/** The messages of the ticket-hold saga: its input and the outputs of its steps. */
import { z } from 'zod';

/** What `start` takes: the show and how many seats. */
export const ticketInputSchema = z.object({
  orderId: z.string().min(1),
  show: z.string().min(1),
  seats: z.number().int().min(1).max(10),
});
/** The input of the ticket-hold saga. */
export type TicketInput = z.infer<typeof ticketInputSchema>;

/** The seats held for the order. */
export const seatHoldSchema = z.object({ holdId: z.string(), seats: z.array(z.string()) });

/** The tickets issued for the held seats. */
export const ticketsSchema = z.object({ ticketIds: z.array(z.string()) });
