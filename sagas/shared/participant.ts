/**
 * The base of the example participants: in-process services with their own state, which
 * deduplicate by idempotency key, can be told to fail, and write every effect they apply to a
 * journal so that tests and demos can see what happened, in which order.
 */
import type { FiredFault } from './faultInjector.js';
import { FaultInjector } from './faultInjector.js';
import { IdempotencyLog } from './idempotencyLog.js';
import { ParticipantError } from './participantError.js';

/** What a participant did for one call that got through deduplication and faults. */
export type JournalEffect = 'applied' | 'partial' | 'undone' | 'nothing-to-undo';

/** One effect in a {@link Journal}. */
export interface JournalEntry {
  participant: string;
  operation: string;
  key: string;
  effect: JournalEffect;
  detail: string;
}

/** The effects of several participants in the order they happened. */
export class Journal {
  readonly entries: JournalEntry[] = [];

  /** `participant.operation` of every entry, in order: the easiest thing to assert on. */
  operations(): string[] {
    return this.entries.map((e) => `${e.participant}.${e.operation}`);
  }
}

/** Options every example participant takes. */
export interface ParticipantOptions {
  /** Shared with the saga's other participants to see the cross-participant order. @default a new one */
  journal?: Journal;
  /** Simulated network latency per call, so that durations show in timelines. @default 0 */
  latencyMs?: number;
}

/** A participant whose operations are named by `TOperation`. */
export abstract class Participant<TOperation extends string> {
  /** Plant faults here: `participant.faults.inject('charge', { kind: 'transient', times: 2 })`. */
  readonly faults = new FaultInjector<TOperation>();
  readonly journal: Journal;
  private readonly calls = new Map<TOperation, number>();
  private readonly log = new IdempotencyLog();
  private readonly latencyMs: number;

  protected constructor(
    readonly name: string,
    options: ParticipantOptions = {},
  ) {
    this.journal = options.journal ?? new Journal();
    this.latencyMs = options.latencyMs ?? 0;
  }

  /** Calls of `operation` received, repeats and failures included. */
  callCount(operation: TOperation): number {
    return this.calls.get(operation) ?? 0;
  }

  /**
   * Runs an action once per idempotency key. `effect` applies it (only part of it when told a
   * partial fault fired) and returns the result; a partial fault is then reported as such.
   */
  protected async act<T>(operation: TOperation, key: string, effect: (partial: FiredFault | undefined) => T): Promise<T> {
    await this.arrive(operation);
    return this.log.once(key, () => {
      const fault = this.faults.take(operation);
      if (fault && fault.kind !== 'partial') throw new ParticipantError(fault.code, fault.kind, fault.message);
      const value = effect(fault);
      if (fault) throw new ParticipantError(fault.code, 'partial', fault.message);
      return value;
    });
  }

  /**
   * Runs a compensation once per idempotency key. A compensation cannot half-apply here, so a
   * planted partial fault behaves as a transient one: nothing undone, try again.
   */
  protected async undo(operation: TOperation, key: string, effect: () => void): Promise<void> {
    await this.arrive(operation);
    this.log.once(key, () => {
      const fault = this.faults.take(operation);
      if (fault) throw new ParticipantError(fault.code, fault.kind === 'permanent' ? 'permanent' : 'transient', fault.message);
      effect();
    });
  }

  /** Writes an effect to the journal; called by subclasses from inside their effects. */
  protected record(operation: TOperation, key: string, effect: JournalEffect, detail = ''): void {
    this.journal.entries.push({ participant: this.name, operation, key, effect, detail });
  }

  private async arrive(operation: TOperation): Promise<void> {
    this.calls.set(operation, this.callCount(operation) + 1);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
  }
}
