/**
 * In-process participants of the order-fulfilment saga: an inventory, a payment gateway and a
 * shipping service. Each keeps its own state, applies each idempotency key once, and undoes
 * tolerantly (undoing what was never done, or twice, is a recorded no-op).
 */
import { Journal, Participant, ParticipantError } from '../shared/index.js';
import type { ParticipantOptions } from '../shared/index.js';
import type { OrderLine, Payment, Reservation, Shipment } from './orderFulfilment.messages.js';

interface ReservationRecord {
  reservationId: string;
  orderId: string;
  lines: OrderLine[];
  released: boolean;
}

/** Stock per SKU, and reservations against it. */
export class InventoryService extends Participant<'reserve' | 'release'> {
  readonly stock: Map<string, number>;
  readonly reservations = new Map<string, ReservationRecord>();

  constructor(stock: Record<string, number>, options?: ParticipantOptions) {
    super('inventory', options);
    this.stock = new Map(Object.entries(stock));
  }

  /** Units of `sku` available (not reserved). */
  available(sku: string): number {
    return this.stock.get(sku) ?? 0;
  }

  /** Reserves every line, or fails OUT_OF_STOCK (permanent) reserving nothing. */
  reserve(request: { key: string; orderId: string; lines: OrderLine[] }): Promise<Reservation> {
    return this.act('reserve', request.key, (partial) => {
      const short = request.lines.find((l) => this.available(l.sku) < l.quantity);
      if (short) throw new ParticipantError('OUT_OF_STOCK', 'permanent', `${short.sku}: ${short.quantity} wanted, ${this.available(short.sku)} available`);
      // A partial fault reserves only the first half of the lines, as a crashed batch would.
      const lines = partial ? request.lines.slice(0, Math.ceil(request.lines.length / 2)) : request.lines;
      for (const l of lines) this.stock.set(l.sku, this.available(l.sku) - l.quantity);
      const record = { reservationId: `res-${this.reservations.size + 1}`, orderId: request.orderId, lines, released: false };
      this.reservations.set(request.key, record);
      this.record('reserve', request.key, partial ? 'partial' : 'applied', lines.map((l) => `${l.sku}×${l.quantity}`).join(', '));
      return { reservationId: record.reservationId };
    });
  }

  /** Puts back what the reservation made under `reservationKey` took, if anything. */
  release(request: { key: string; reservationKey: string }): Promise<void> {
    return this.undo('release', request.key, () => {
      const record = this.reservations.get(request.reservationKey);
      if (!record || record.released) return this.record('release', request.key, 'nothing-to-undo');
      for (const l of record.lines) this.stock.set(l.sku, this.available(l.sku) + l.quantity);
      record.released = true;
      this.record('release', request.key, 'undone', record.reservationId);
    });
  }
}

/** One line of the payments ledger. */
export interface LedgerLine {
  paymentId: string;
  customerId: string;
  type: 'charge' | 'refund';
  amountCents: number;
}

/** A payment gateway with a ledger of charges and refunds. */
export class PaymentService extends Participant<'charge' | 'refund'> {
  readonly ledger: LedgerLine[] = [];
  private readonly charges = new Map<string, LedgerLine & { refunded: boolean }>();

  constructor(
    private readonly limitCents: number,
    options?: ParticipantOptions,
  ) {
    super('payments', options);
  }

  /** Net amount taken from customers (charges minus refunds), in cents. */
  netCents(): number {
    return this.ledger.reduce((sum, l) => sum + (l.type === 'charge' ? l.amountCents : -l.amountCents), 0);
  }

  /** Charges the customer, or fails PAYMENT_DECLINED (permanent) above the limit. */
  charge(request: { key: string; customerId: string; amountCents: number }): Promise<Payment> {
    return this.act('charge', request.key, (partial) => {
      if (request.amountCents > this.limitCents)
        throw new ParticipantError('PAYMENT_DECLINED', 'permanent', `${request.amountCents} cents is over the limit of ${this.limitCents}`);
      // A partial fault captures the money but loses the confirmation: the saga must refund it.
      const line = { paymentId: `pay-${this.charges.size + 1}`, customerId: request.customerId, type: 'charge' as const, amountCents: request.amountCents };
      this.ledger.push(line);
      this.charges.set(request.key, { ...line, refunded: false });
      this.record('charge', request.key, partial ? 'partial' : 'applied', `${line.paymentId} ${line.amountCents}`);
      return { paymentId: line.paymentId, amountCents: line.amountCents };
    });
  }

  /** Refunds the charge made under `paymentKey`, if there was one and it is not refunded yet. */
  refund(request: { key: string; paymentKey: string }): Promise<void> {
    return this.undo('refund', request.key, () => {
      const charge = this.charges.get(request.paymentKey);
      if (!charge || charge.refunded) return this.record('refund', request.key, 'nothing-to-undo');
      charge.refunded = true;
      this.ledger.push({ paymentId: charge.paymentId, customerId: charge.customerId, type: 'refund', amountCents: charge.amountCents });
      this.record('refund', request.key, 'undone', `${charge.paymentId} ${charge.amountCents}`);
    });
  }
}

/** A shipment as the carrier keeps it. */
export interface ShipmentRecord extends Shipment {
  orderId: string;
  reservationId: string;
  address: string;
  status: 'created' | 'cancelled';
}

/** A carrier: shipments it has been asked to create, and their status. */
export class ShippingService extends Participant<'create' | 'cancel'> {
  readonly shipments: ShipmentRecord[] = [];
  private readonly byKey = new Map<string, ShipmentRecord>();

  constructor(options?: ParticipantOptions) {
    super('shipping', options);
  }

  /** Creates a shipment of the reserved goods. */
  create(request: { key: string; orderId: string; reservationId: string; address: string }): Promise<Shipment> {
    return this.act('create', request.key, (partial) => {
      const n = this.shipments.length + 1;
      const record: ShipmentRecord = {
        shipmentId: `shp-${n}`,
        trackingNumber: `TRK${String(n).padStart(6, '0')}`,
        orderId: request.orderId,
        reservationId: request.reservationId,
        address: request.address,
        status: 'created',
      };
      this.shipments.push(record);
      this.byKey.set(request.key, record);
      this.record('create', request.key, partial ? 'partial' : 'applied', record.shipmentId);
      return { shipmentId: record.shipmentId, trackingNumber: record.trackingNumber };
    });
  }

  /** Cancels the shipment created under `shipmentKey`, if any. */
  cancel(request: { key: string; shipmentKey: string }): Promise<void> {
    return this.undo('cancel', request.key, () => {
      const record = this.byKey.get(request.shipmentKey);
      if (!record || record.status === 'cancelled') return this.record('cancel', request.key, 'nothing-to-undo');
      record.status = 'cancelled';
      this.record('cancel', request.key, 'undone', record.shipmentId);
    });
  }
}

/** What the order-fulfilment saga talks to. */
export interface OrderFulfilmentParticipants {
  inventory: InventoryService;
  payments: PaymentService;
  shipping: ShippingService;
  /** Shared by the three, in effect order. */
  journal: Journal;
}

/** Options of {@link createOrderFulfilmentParticipants}. */
export interface OrderFulfilmentParticipantsOptions {
  /** @default { 'widget': 10, 'gadget': 5 } */
  stock?: Record<string, number>;
  /** Largest charge accepted, in cents. @default 100_000 */
  paymentLimitCents?: number;
  latencyMs?: number;
}

/** A fresh set of order-fulfilment participants sharing one journal. */
export function createOrderFulfilmentParticipants(options: OrderFulfilmentParticipantsOptions = {}): OrderFulfilmentParticipants {
  const journal = new Journal();
  const common = { journal, latencyMs: options.latencyMs ?? 0 };
  return {
    inventory: new InventoryService(options.stock ?? { widget: 10, gadget: 5 }, common),
    payments: new PaymentService(options.paymentLimitCents ?? 100_000, common),
    shipping: new ShippingService(common),
    journal,
  };
}
