/**
 * Deduplication by idempotency key, the way a participant service does it: the first final
 * outcome of a key is remembered and every repeat gets that outcome without acting again.
 */
import { isParticipantError } from './participantError.js';

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Remembers the final outcome of each idempotency key. */
export class IdempotencyLog {
  private readonly outcomes = new Map<string, Outcome>();

  /**
   * Runs `effect` unless `key` already has a final outcome, which is then returned (or
   * rethrown) as it was. A transient failure is not final: nothing was applied, and the caller
   * retries with the same key, so that retry must run the effect for real.
   */
  once<T>(key: string, effect: () => T): T {
    const seen = this.outcomes.get(key);
    if (seen) {
      if (seen.ok) return seen.value as T;
      throw seen.error;
    }
    try {
      const value = effect();
      this.outcomes.set(key, { ok: true, value });
      return value;
    } catch (error) {
      if (!isParticipantError(error) || error.kind !== 'transient') this.outcomes.set(key, { ok: false, error });
      throw error;
    }
  }

  /** Whether `key` has a final outcome. */
  has(key: string): boolean {
    return this.outcomes.has(key);
  }
}
