/** Messages of the trip-booking saga: its input and the outputs of its steps. */
import { z } from 'zod';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

/** What `engine.start('trip-booking', input)` takes. */
export const tripInputSchema = z.object({
  tripId: z.string().min(1),
  traveller: z.string().min(1),
  from: z.string().min(1),
  to: z.string().min(1),
  departOn: isoDate,
  returnOn: isoDate,
});
/** A validated trip request. */
export type TripInput = z.infer<typeof tripInputSchema>;

/** What every booking step returns. */
export const bookingSchema = z.object({ bookingId: z.string(), confirmation: z.string() });
export type Booking = z.infer<typeof bookingSchema>;

/** The car also says where it is picked up: at the hotel when one is booked. */
export const carBookingSchema = bookingSchema.extend({ pickup: z.enum(['hotel', 'airport']) });
export type CarBooking = z.infer<typeof carBookingSchema>;
