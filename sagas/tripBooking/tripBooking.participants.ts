/**
 * In-process participants of the trip-booking saga: an airline, a hotel and a car-rental
 * service, all the same kind of booking service with limited capacity.
 */
import { Journal, Participant, ParticipantError } from '../shared/index.js';
import type { ParticipantOptions } from '../shared/index.js';
import type { Booking } from './tripBooking.messages.js';

/** A booking as the service keeps it. */
export interface BookingRecord extends Booking {
  tripId: string;
  details: string;
  status: 'booked' | 'cancelled';
}

/** A booking service: books while it has capacity, cancels tolerantly. */
export class BookingService extends Participant<'book' | 'cancel'> {
  readonly bookings: BookingRecord[] = [];
  private readonly byKey = new Map<string, BookingRecord>();

  constructor(
    name: string,
    private readonly capacity: number,
    options?: ParticipantOptions,
  ) {
    super(name, options);
  }

  /** Bookings currently held (not cancelled). */
  active(): BookingRecord[] {
    return this.bookings.filter((b) => b.status === 'booked');
  }

  /** Books, or fails NO_AVAILABILITY (permanent) when capacity is used up. */
  book(request: { key: string; tripId: string; details: string }): Promise<Booking> {
    return this.act('book', request.key, (partial) => {
      if (this.active().length >= this.capacity) throw new ParticipantError('NO_AVAILABILITY', 'permanent', `${this.name}: fully booked (${this.capacity})`);
      const n = this.bookings.length + 1;
      // A partial fault books but loses the confirmation: the booking exists and must be cancelled.
      const record: BookingRecord = {
        bookingId: `${this.name}-${n}`,
        confirmation: `${this.name.slice(0, 3).toUpperCase()}${1000 + n}`,
        tripId: request.tripId,
        details: request.details,
        status: 'booked',
      };
      this.bookings.push(record);
      this.byKey.set(request.key, record);
      this.record('book', request.key, partial ? 'partial' : 'applied', `${record.bookingId} ${request.details}`);
      return { bookingId: record.bookingId, confirmation: record.confirmation };
    });
  }

  /** Cancels the booking made under `bookingKey`, if any. */
  cancel(request: { key: string; bookingKey: string }): Promise<void> {
    return this.undo('cancel', request.key, () => {
      const record = this.byKey.get(request.bookingKey);
      if (!record || record.status === 'cancelled') return this.record('cancel', request.key, 'nothing-to-undo');
      record.status = 'cancelled';
      this.record('cancel', request.key, 'undone', record.bookingId);
    });
  }
}

/** What the trip-booking saga talks to. */
export interface TripBookingParticipants {
  flights: BookingService;
  hotels: BookingService;
  cars: BookingService;
  /** Shared by the three, in effect order. */
  journal: Journal;
}

/** Options of {@link createTripBookingParticipants}. */
export interface TripBookingParticipantsOptions {
  /** Bookings each service accepts at once. @default 100 */
  capacity?: Partial<Record<'flights' | 'hotels' | 'cars', number>>;
  latencyMs?: number;
}

/** A fresh set of trip-booking participants sharing one journal. */
export function createTripBookingParticipants(options: TripBookingParticipantsOptions = {}): TripBookingParticipants {
  const journal = new Journal();
  const common = { journal, latencyMs: options.latencyMs ?? 0 };
  const capacity = options.capacity ?? {};
  return {
    flights: new BookingService('flight', capacity.flights ?? 100, common),
    hotels: new BookingService('hotel', capacity.hotels ?? 100, common),
    cars: new BookingService('car', capacity.cars ?? 100, common),
    journal,
  };
}
