/**
 * The ticket-hold saga's participants, in process: a seat inventory that holds and releases
 * seats (idempotent by key, with planted transient failures), and a ticket office whose issuing
 * takes `issueDelayMs` and stops when the saga's signal fires (a cancel or the deadline).
 */
import { TransientError } from '../../src/index.js';

/** Holds and releases seats; each operation can be told to fail transiently a few times first. */
export class SeatInventory {
  /** Hold ids currently held, by idempotency key. */
  readonly held = new Map<string, string[]>();
  /** Calls made, by operation, in order. */
  readonly calls: string[] = [];
  /** Transient failures still to throw, by operation. */
  readonly failuresLeft = { hold: 0, release: 0 };
  private next = 1;

  hold(key: string, count: number): { holdId: string; seats: string[] } {
    this.calls.push('hold');
    if (this.failuresLeft.hold > 0) {
      this.failuresLeft.hold--;
      throw new TransientError('the seat map is locked by another sale; try again');
    }
    const seats = this.held.get(key) ?? Array.from({ length: count }, () => `R1-${this.next++}`);
    this.held.set(key, seats);
    return { holdId: key, seats };
  }

  release(key: string): void {
    this.calls.push('release');
    if (this.failuresLeft.release > 0) {
      this.failuresLeft.release--;
      throw new TransientError('the seat map is locked by another sale; try again');
    }
    this.held.delete(key);
  }
}

/** Issues tickets for held seats, slowly; honours the saga's signal. */
export class TicketOffice {
  /** Issues that were stopped by the saga's signal, with the reason's code. */
  readonly aborted: string[] = [];
  readonly issued: string[] = [];

  constructor(private readonly issueDelayMs = 0) {}

  async issue(seats: readonly string[], signal: AbortSignal): Promise<{ ticketIds: string[] }> {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, this.issueDelayMs);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          this.aborted.push((signal.reason as { code?: string } | undefined)?.code ?? 'ABORTED');
          reject(signal.reason);
        },
        { once: true },
      );
    });
    const ticketIds = seats.map((seat) => `T-${seat}`);
    this.issued.push(...ticketIds);
    return { ticketIds };
  }
}

/** Both participants of one ticket-hold saga. */
export interface TicketHoldParticipants {
  seats: SeatInventory;
  office: TicketOffice;
}

/** A fresh set of participants; the office takes `issueDelayMs` per issue. */
export function createTicketHoldParticipants(options: { issueDelayMs?: number } = {}): TicketHoldParticipants {
  return { seats: new SeatInventory(), office: new TicketOffice(options.issueDelayMs ?? 0) };
}
