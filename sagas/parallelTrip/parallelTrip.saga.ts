/**
 * Trip booking with the flight and the hotel booked in parallel (a parallel group of two
 * branches, both at once), then the car, picked up at the hotel. If either booking fails for
 * good, the other one's signal fires; then whatever was booked is cancelled in a documented
 * order: the reverse of the order the bookings were recorded (the one confirmed last is
 * cancelled first), then the earlier steps. A car that cannot be booked cancels both.
 *
 * Messages and participants are the sequential trip booking's (sagas/tripBooking).
 */
import { defineSaga, stepIdempotencyKey } from '../../src/index.js';
import { classifyParticipantError, stepPolicies } from '../shared/index.js';
import type { ExampleSagaOptions } from '../shared/index.js';
import { bookingSchema, carBookingSchema, tripInputSchema } from '../tripBooking/tripBooking.messages.js';
import type { TripBookingParticipants } from '../tripBooking/tripBooking.participants.js';
import { createTripBookingParticipants } from '../tripBooking/tripBooking.participants.js';

/** The name the saga is started by. */
export const PARALLEL_TRIP_BOOKING = 'parallel-trip-booking';

/** The parallel trip-booking saga wired to `participants` (a fresh default set when omitted). */
export function createParallelTripBookingSaga(participants: TripBookingParticipants = createTripBookingParticipants(), options: ExampleSagaOptions = {}) {
  const { flights, hotels, cars } = participants;
  const policies = stepPolicies(options);
  return defineSaga({ name: PARALLEL_TRIP_BOOKING, version: 1, input: tripInputSchema, classify: classifyParticipantError })
    .parallel('book', { concurrency: 2 }, (g) =>
      g
        .step('flight', {
          ...policies,
          output: bookingSchema,
          run: (ctx) => flights.book({ key: ctx.idempotencyKey, tripId: ctx.input.tripId, details: `${ctx.input.from}→${ctx.input.to} ${ctx.input.departOn}` }),
          compensate: (ctx) => flights.cancel({ key: ctx.idempotencyKey, bookingKey: stepIdempotencyKey(ctx.sagaId, ctx.step) }),
        })
        .step('hotel', {
          ...policies,
          output: bookingSchema,
          run: (ctx) =>
            hotels.book({ key: ctx.idempotencyKey, tripId: ctx.input.tripId, details: `${ctx.input.to} ${ctx.input.departOn}..${ctx.input.returnOn}` }),
          compensate: (ctx) => hotels.cancel({ key: ctx.idempotencyKey, bookingKey: stepIdempotencyKey(ctx.sagaId, ctx.step) }),
        }),
    )
    .step('car', {
      ...policies,
      output: carBookingSchema,
      run: async (ctx) => {
        // Both branches' outputs are here, typed.
        const details = `${ctx.input.to} pickup at the hotel (${ctx.outputs.hotel.confirmation}), flight ${ctx.outputs.flight.confirmation}`;
        const booking = await cars.book({ key: ctx.idempotencyKey, tripId: ctx.input.tripId, details });
        return { ...booking, pickup: 'hotel' as const };
      },
      compensate: (ctx) => cars.cancel({ key: ctx.idempotencyKey, bookingKey: stepIdempotencyKey(ctx.sagaId, ctx.step) }),
    });
}

/** The definition type, with its typed outputs. */
export type ParallelTripBookingSaga = ReturnType<typeof createParallelTripBookingSaga>;
