import { describe, expect, it } from 'vitest';
import { createParallelTripBookingSaga, createTripBookingParticipants } from '../../../sagas/index.js';
import type { TripInput } from '../../../sagas/index.js';
import { FAST, ofType, runSaga } from './sagaHarness.js';

const trip: TripInput = { tripId: 't-1', traveller: 'Ada', from: 'LHR', to: 'LIS', departOn: '2026-05-01', returnOn: '2026-05-04' };

describe('parallel trip booking', () => {
  it('books the flight and the hotel at once, then the car, which sees both confirmations', async () => {
    const participants = createTripBookingParticipants({ latencyMs: 5 });
    const run = await runSaga(createParallelTripBookingSaga(participants, FAST), trip);
    expect(run.result).toMatchObject({
      status: 'completed',
      outputs: { flight: { bookingId: 'flight-1' }, hotel: { bookingId: 'hotel-1' }, car: { pickup: 'hotel' } },
    });
    // Both intents are in the first append, before either booking returns.
    expect(run.types.slice(0, 3)).toEqual(['SagaStarted', 'StepStarted', 'StepStarted']);
    expect(participants.cars.bookings[0]?.details).toMatch(/HOT1001.*FLI1001/);
    expect(run.violations).toEqual([]);
  });

  it('a car that cannot be booked cancels both bookings, the one recorded last first', async () => {
    const participants = createTripBookingParticipants({ capacity: { cars: 0 } });
    const run = await runSaga(createParallelTripBookingSaga(participants, FAST), trip);
    expect(run.result.status).toBe('compensated');
    const booked = ofType(run, 'StepSucceeded').map((d) => d['step']);
    expect(ofType(run, 'CompensationSucceeded').map((d) => d['step'])).toEqual([...booked].reverse());
    expect(participants.flights.active()).toEqual([]);
    expect(participants.hotels.active()).toEqual([]);
    expect(run.violations).toEqual([]);
  });

  it('a flight that cannot be booked: the hotel is cancelled, nothing else runs', async () => {
    const participants = createTripBookingParticipants({ capacity: { flights: 0 } });
    const run = await runSaga(createParallelTripBookingSaga(participants, FAST), trip);
    expect(run.result).toMatchObject({ status: 'compensated', failure: { step: 'flight', code: 'NO_AVAILABILITY' } });
    expect(participants.hotels.active()).toEqual([]);
    expect(participants.cars.bookings).toEqual([]);
    expect(run.violations).toEqual([]);
  });
});
