/**
 * An in-process billing service for the invoicing saga: it issues and voids invoices, charges
 * and refunds, and sends receipts, each deduplicated by idempotency key, and keeps a journal of
 * what it did (with the definition version that asked) so tests can see which version ran.
 */
import { IdempotencyLog } from '../shared/index.js';

/** One operation the billing service performed. */
export interface BillingEntry {
  /** What was done, e.g. `charge`. */
  op: 'issue' | 'void' | 'charge' | 'refund' | 'receipt';
  /** The invoice it was for. */
  invoiceId: string;
  /** The saga definition version that asked. */
  version: number;
}

/** The billing service and its journal. */
export class Billing {
  private readonly log = new IdempotencyLog();
  /** Every operation performed once (repeats of a key are not journaled again). */
  readonly journal: BillingEntry[] = [];
  private next = 1;

  /** Runs `op` once per idempotency key and journals it. */
  private once<T>(key: string, entry: BillingEntry, effect: () => T): T {
    return this.log.once(key, () => {
      this.journal.push(entry);
      return effect();
    });
  }

  /** Issues the invoice. */
  issue(key: string, invoiceId: string, version: number): { invoiceNumber: string } {
    return this.once(key, { op: 'issue', invoiceId, version }, () => ({ invoiceNumber: `INV-${this.next++}` }));
  }
  /** Voids an issued invoice. */
  void(key: string, invoiceId: string, version: number): void {
    this.once(key, { op: 'void', invoiceId, version }, () => undefined);
  }
  /** Charges the customer. */
  charge(key: string, invoiceId: string, amountCents: number, version: number): { chargeId: string; amountCents: number } {
    return this.once(key, { op: 'charge', invoiceId, version }, () => ({ chargeId: `ch-${this.next++}`, amountCents }));
  }
  /** Refunds a charge. */
  refund(key: string, invoiceId: string, version: number): void {
    this.once(key, { op: 'refund', invoiceId, version }, () => undefined);
  }
  /** Sends the receipt. */
  receipt(key: string, invoiceId: string, version: number): { receiptId: string } {
    return this.once(key, { op: 'receipt', invoiceId, version }, () => ({ receiptId: `rc-${this.next++}` }));
  }
  /** The operations journaled for `invoiceId`, as `op@version`. */
  operations(invoiceId: string): string[] {
    return this.journal.filter((e) => e.invoiceId === invoiceId).map((e) => `${e.op}@${e.version}`);
  }
}

/** The participants of the invoicing saga. */
export interface InvoicingParticipants {
  /** The billing service. */
  billing: Billing;
  /** Awaited before each charge (tests hold a charge in flight with it). @default none */
  beforeCharge?: (invoiceId: string) => Promise<void> | void;
}

/** Fresh participants. */
export function createInvoicingParticipants(options: Omit<InvoicingParticipants, 'billing'> = {}): InvoicingParticipants {
  return { billing: new Billing(), ...options };
}
