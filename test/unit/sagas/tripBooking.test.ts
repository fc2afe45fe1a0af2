import { filter, firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src/runtime/engine.js';
import { createInMemoryEventStore } from '../../../src/stores/inMemory/index.js';
import { createTripBookingParticipants, createTripBookingSaga } from '../../../sagas/index.js';
import type { TripInput } from '../../../sagas/index.js';
import { FAST, ofType, readBack, runSaga } from './sagaHarness.js';

const trip: TripInput = { tripId: 't-1', traveller: 'Ada', from: 'LHR', to: 'LIS', departOn: '2026-05-01', returnOn: '2026-05-04' };

function setup() {
  const participants = createTripBookingParticipants();
  return { participants, saga: createTripBookingSaga(participants, FAST) };
}

describe('trip booking', () => {
  it('books flight, hotel and car; the car is picked up at the hotel', async () => {
    const { participants, saga } = setup();
    const run = await runSaga(saga, trip);
    expect(run.result).toMatchObject({
      status: 'completed',
      outputs: { flight: { bookingId: 'flight-1' }, hotel: { bookingId: 'hotel-1' }, car: { pickup: 'hotel' } },
    });
    expect(participants.journal.operations()).toEqual(['flight.book', 'hotel.book', 'car.book']);
    expect(run.violations).toEqual([]);
  });

  it('skips the optional hotel when it is permanently unavailable, and completes without it', async () => {
    const participants = createTripBookingParticipants({ capacity: { hotels: 0 } });
    const run = await runSaga(createTripBookingSaga(participants, FAST), trip);
    expect(run.result.status).toBe('completed');
    if (run.result.status !== 'completed') return;
    expect(run.result.outputs.hotel).toBeUndefined();
    expect(run.result.outputs).toMatchObject({ car: { pickup: 'airport' } });
    expect(ofType(run, 'StepSkipped')).toMatchObject([{ step: 'hotel', reason: expect.stringContaining('NO_AVAILABILITY') }]);
    expect(run.types).not.toContain('CompensationPlanned');
    expect(participants.journal.operations()).toEqual(['flight.book', 'car.book']);
    expect(run.violations).toEqual([]);
  });

  it('cancels hotel then flight, in reverse order, when the car cannot be booked', async () => {
    const { participants, saga } = setup();
    participants.cars.faults.inject('book', { kind: 'permanent', code: 'NO_CARS' });
    const run = await runSaga(saga, trip);
    expect(run.result).toMatchObject({ status: 'compensated', compensated: ['hotel', 'flight'], failure: { step: 'car', code: 'NO_CARS' } });
    expect(participants.journal.operations()).toEqual(['flight.book', 'hotel.book', 'hotel.cancel', 'flight.cancel']);
    expect(participants.flights.active()).toEqual([]);
    expect(participants.hotels.active()).toEqual([]);
    expect(ofType(run, 'CompensationStarted').map((e) => e['step'])).toEqual(['hotel', 'flight']);
    expect(run.violations).toEqual([]);
  });

  it('cancels only the flight when the hotel was skipped and the car fails', async () => {
    const participants = createTripBookingParticipants({ capacity: { hotels: 0, cars: 0 } });
    const run = await runSaga(createTripBookingSaga(participants, FAST), trip);
    expect(run.result).toMatchObject({ status: 'compensated', compensated: ['flight'] });
    expect(participants.journal.operations()).toEqual(['flight.book', 'flight.cancel']);
  });

  it('compensates the whole trip when the optional hotel fails partially: optional skips only permanent failures', async () => {
    const { participants, saga } = setup();
    participants.hotels.faults.inject('book', { kind: 'partial', times: 1 });
    const run = await runSaga(saga, trip);
    expect(run.result).toMatchObject({ status: 'compensated', compensated: ['hotel', 'flight'] });
    expect(participants.hotels.active()).toEqual([]);
    expect(participants.journal.entries.map((e) => `${e.participant}.${e.operation}:${e.effect}`)).toEqual([
      'flight.book:applied',
      'hotel.book:partial',
      'hotel.cancel:undone',
      'flight.cancel:undone',
    ]);
  });

  it('cancels a trip waiting out a car retry backoff: hotel and flight are cancelled, latest first', async () => {
    const participants = createTripBookingParticipants();
    participants.cars.faults.inject('book', { kind: 'transient' });
    const saga = createTripBookingSaga(participants, { retry: { immediateAttempts: 0, initialDelayMs: 60_000, maxDelayMs: 60_000, jitter: 'none' } });
    const engine = await createEngine({ store: createInMemoryEventStore(), sagas: [saga] });
    try {
      const waiting = firstValueFrom(engine.events$.pipe(filter((e) => e.type === 'RetryScheduled')));
      const { sagaId } = await engine.start(saga.name, trip);
      await waiting;
      expect(await engine.cancel(sagaId, 'traveller changed plans')).toBe(true);
      expect(await engine.result(sagaId)).toMatchObject({ status: 'compensated', compensated: ['hotel', 'flight'], failure: { kind: 'cancel' } });
      expect(participants.journal.operations()).toEqual(['flight.book', 'hotel.book', 'hotel.cancel', 'flight.cancel']);
      expect(participants.cars.callCount('book')).toBe(1);
      expect((await readBack(engine, sagaId)).violations).toEqual([]);
    } finally {
      await engine.close();
    }
  });

  it('books once when the same booking key arrives twice', async () => {
    const { flights } = createTripBookingParticipants();
    const first = await flights.book({ key: 's/flight', tripId: 't', details: 'x' });
    expect(await flights.book({ key: 's/flight', tripId: 't', details: 'x' })).toEqual(first);
    expect(flights.bookings).toHaveLength(1);
    expect(flights.callCount('book')).toBe(2);
  });
});
