/**
 * The participants of the order-with-shipment example, in process: every effect and every undo
 * is written to one journal (so a test sees the order across parent and child), effects are
 * applied once per idempotency key, and an operation can be told to fail permanently.
 */
import { PermanentError } from '../../src/index.js';

/** The operations of both sagas. */
export type ShipmentOperation = 'reserve' | 'release' | 'charge' | 'refund' | 'pack' | 'unpack' | 'book' | 'cancelBooking' | 'confirm';

/** One in-process service for both sagas. */
export class ShippingServices {
  /** `operation:key` of every effect applied, in order. */
  readonly journal: string[] = [];
  /** Operations that fail permanently (e.g. `book`: no carrier available). */
  readonly failing = new Set<ShipmentOperation>();
  /** Operations held until the promise settles (a slow participant, for crash tests). */
  readonly gates = new Map<ShipmentOperation, Promise<void>>();
  private readonly done = new Map<string, string>();

  /** Applies `operation` once per key and returns its reference. */
  async act(operation: ShipmentOperation, key: string): Promise<{ ref: string }> {
    await this.gates.get(operation);
    if (this.failing.has(operation)) throw new PermanentError(`${operation} refused`, { details: { code: `${operation.toUpperCase()}_REFUSED` } });
    const id = `${operation}:${key}`;
    const existing = this.done.get(id);
    if (existing) return { ref: existing };
    this.done.set(id, id);
    this.journal.push(operation);
    return { ref: id };
  }

  /** The operations applied, in order (the journal). */
  operations(): string[] {
    return [...this.journal];
  }
}

/** A fresh set of services. */
export function createShippingServices(): ShippingServices {
  return new ShippingServices();
}
