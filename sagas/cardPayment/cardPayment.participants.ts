/**
 * The payment gateway of the card-payment saga: authorizations (holds), their voids, and
 * captures, each applied once per idempotency key.
 */
import { ParticipantError } from '../shared/index.js';
import type { Authorization, Capture } from './cardPayment.messages.js';

/** What the gateway holds for one authorization. */
export interface Hold {
  amountCents: number;
  status: 'held' | 'voided' | 'captured';
}

/** An in-process payment gateway that deduplicates by idempotency key. */
export class PaymentGateway {
  /** Every authorization, by id. */
  readonly holds = new Map<string, Hold>();
  private readonly byKey = new Map<string, string>();

  /** Places a hold of `amountCents`; the same key returns the same authorization. */
  authorize(request: { key: string; amountCents: number }): Authorization {
    const known = this.byKey.get(request.key);
    if (known !== undefined) return { authorizationId: known, amountCents: this.holds.get(known)?.amountCents ?? 0 };
    const authorizationId = `auth-${this.holds.size + 1}`;
    this.holds.set(authorizationId, { amountCents: request.amountCents, status: 'held' });
    this.byKey.set(request.key, authorizationId);
    return { authorizationId, amountCents: request.amountCents };
  }

  /** Releases a hold (idempotent); a captured one stays captured. */
  void(authorizationId: string): void {
    const hold = this.holds.get(authorizationId);
    if (hold?.status === 'held') hold.status = 'voided';
  }

  /** Captures a held authorization (idempotent); a voided or unknown one fails permanently. */
  capture(authorizationId: string): Capture {
    const hold = this.holds.get(authorizationId);
    if (!hold || hold.status === 'voided')
      throw new ParticipantError('AUTHORIZATION_GONE', 'permanent', `authorization ${authorizationId} is ${hold ? 'voided' : 'unknown'}`);
    hold.status = 'captured';
    return { captureId: `cap-${authorizationId}`, amountCents: hold.amountCents };
  }

  /** Holds still placed (neither voided nor captured). */
  openHolds(): string[] {
    return [...this.holds].filter(([, h]) => h.status === 'held').map(([id]) => id);
  }
}

/** The participants of the card-payment saga. */
export interface CardPaymentParticipants {
  gateway: PaymentGateway;
}

/** A fresh gateway. */
export function createCardPaymentParticipants(): CardPaymentParticipants {
  return { gateway: new PaymentGateway() };
}
