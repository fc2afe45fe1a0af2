/**
 * Trip booking: flight → hotel → car. The hotel is optional: when it cannot be booked
 * (a permanent failure) the trip goes on without it (forward recovery) and the car is picked
 * up at the airport instead. A failed flight or car cancels what was booked, latest first.
 */
import { defineSaga, stepIdempotencyKey } from '../../src/index.js';
import { classifyParticipantError, stepPolicies } from '../shared/index.js';
import type { ExampleSagaOptions } from '../shared/index.js';
import { bookingSchema, carBookingSchema, tripInputSchema } from './tripBooking.messages.js';
import type { TripBookingParticipants } from './tripBooking.participants.js';
import { createTripBookingParticipants } from './tripBooking.participants.js';

/** The name the saga is started by. */
export const TRIP_BOOKING = 'trip-booking';

/** The trip-booking saga wired to `participants` (a fresh default set when omitted). */
export function createTripBookingSaga(participants: TripBookingParticipants = createTripBookingParticipants(), options: ExampleSagaOptions = {}) {
  const { flights, hotels, cars } = participants;
  const policies = stepPolicies(options);
  return defineSaga({ name: TRIP_BOOKING, version: 1, input: tripInputSchema, classify: classifyParticipantError })
    .step('flight', {
      ...policies,
      output: bookingSchema,
      run: (ctx) => flights.book({ key: ctx.idempotencyKey, tripId: ctx.input.tripId, details: `${ctx.input.from}→${ctx.input.to} ${ctx.input.departOn}` }),
      compensate: (ctx) => flights.cancel({ key: ctx.idempotencyKey, bookingKey: stepIdempotencyKey(ctx.sagaId, ctx.step) }),
    })
    .step('hotel', {
      ...policies,
      optional: true,
      output: bookingSchema,
      run: (ctx) => hotels.book({ key: ctx.idempotencyKey, tripId: ctx.input.tripId, details: `${ctx.input.to} ${ctx.input.departOn}..${ctx.input.returnOn}` }),
      compensate: (ctx) => hotels.cancel({ key: ctx.idempotencyKey, bookingKey: stepIdempotencyKey(ctx.sagaId, ctx.step) }),
    })
    .step('car', {
      ...policies,
      output: carBookingSchema,
      run: async (ctx) => {
        // `outputs.hotel` is typed optional: the hotel step may have been skipped.
        const pickup = ctx.outputs.hotel ? ('hotel' as const) : ('airport' as const);
        const booking = await cars.book({ key: ctx.idempotencyKey, tripId: ctx.input.tripId, details: `${ctx.input.to} pickup at ${pickup}` });
        return { ...booking, pickup };
      },
      compensate: (ctx) => cars.cancel({ key: ctx.idempotencyKey, bookingKey: stepIdempotencyKey(ctx.sagaId, ctx.step) }),
    });
}

/** The definition type, with its typed outputs. */
export type TripBookingSaga = ReturnType<typeof createTripBookingSaga>;
