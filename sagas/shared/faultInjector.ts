/**
 * Faults that demos and tests plant in participants: "fail the next 3 charges transiently",
 * "reject every shipment", "apply half of the next reservation and fail".
 */
import type { ParticipantFailureKind } from './participantError.js';

/** A planted fault. It fires on the next `times` calls of its operation. */
export interface Fault {
  kind: ParticipantFailureKind;
  /** How many calls fail; then the operation behaves again. @default Infinity */
  times?: number;
  /** The business code the participant reports. @default by kind: UNAVAILABLE, REJECTED, PARTIALLY_APPLIED */
  code?: string;
  message?: string;
}

/** A fault that fired on one call. */
export interface FiredFault {
  kind: ParticipantFailureKind;
  code: string;
  message: string;
}

const DEFAULT_CODES: Record<ParticipantFailureKind, string> = {
  transient: 'UNAVAILABLE',
  permanent: 'REJECTED',
  partial: 'PARTIALLY_APPLIED',
};

/** Holds the faults planted per operation of one participant. */
export class FaultInjector<TOperation extends string> {
  private readonly planted = new Map<TOperation, Fault & { remaining: number }>();

  /** Plants a fault on `operation`, replacing any earlier one. Returns this for chaining. */
  inject(operation: TOperation, fault: Fault): this {
    this.planted.set(operation, { ...fault, remaining: fault.times ?? Infinity });
    return this;
  }

  /** Removes the fault of `operation`, or every fault. */
  clear(operation?: TOperation): void {
    if (operation === undefined) this.planted.clear();
    else this.planted.delete(operation);
  }

  /** The fault to apply to this call of `operation`, if any; counts the call against `times`. */
  take(operation: TOperation): FiredFault | undefined {
    const fault = this.planted.get(operation);
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.planted.delete(operation);
    const code = fault.code ?? DEFAULT_CODES[fault.kind];
    return { kind: fault.kind, code, message: fault.message ?? `${operation}: injected ${fault.kind} fault` };
  }
}
