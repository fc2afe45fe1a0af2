/**
 * The store's worker liveness as the engine reads it: lookups of one worker share one read.
 * Every saga loaded asks who holds its attempt in flight; after a restart, thousands of sagas
 * name the same crashed worker, and a read each (on PostgreSQL a query that also checks the
 * worker's session lock) was a third of all statements of the recovery. A lookup made while
 * another of the same worker is in flight joins it, and an answer is reused for a short while,
 * never past the record's own expiry: a record alive until T is read again once T passes, so a
 * hung worker is caught on time. A death the store reports through `watch` drops the worker's
 * answer before the watchers are told, so the sagas it wakes read the death, not a stale life.
 */
import type { WorkerLiveness } from '../stores/eventStore.js';
import type { Clock } from './clock.js';

/** How long an answer is reused, in ms (by the engine's clock). */
export const LIVENESS_ANSWER_TTL_MS = 250;

/** Past this many answers kept, those that ran out are dropped. */
const PRUNE_AT = 1_000;

interface Answer {
  until: number | undefined;
  /** Reused until then. */
  validUntil: number;
}

interface InFlightRead {
  read: Promise<number | undefined>;
  dropped: boolean;
}

/** See the file's comment: `WorkerLiveness` whose `aliveUntil` shares reads. */
export class LivenessReads implements WorkerLiveness {
  private readonly answers = new Map<string, Answer>();
  /** `dropped`: the worker was forgotten meanwhile, so what this read returns is not kept. */
  private readonly inFlight = new Map<string, InFlightRead>();

  constructor(
    private readonly store: WorkerLiveness,
    private readonly clock: Clock,
  ) {}

  renew(workerId: string, aliveUntil: number): Promise<void> {
    return this.store.renew(workerId, aliveUntil);
  }

  release(workerId: string): Promise<void> {
    return this.store.release(workerId);
  }

  aliveUntil(workerId: string): Promise<number | undefined> {
    const now = this.clock.now();
    const known = this.answers.get(workerId);
    if (known && now < known.validUntil) return Promise.resolve(known.until);
    const pending = this.inFlight.get(workerId);
    if (pending) return pending.read;
    if (known) this.answers.delete(workerId);
    else if (this.answers.size >= PRUNE_AT) this.prune(now);
    const entry: InFlightRead = { dropped: false, read: Promise.resolve(undefined) };
    entry.read = this.store.aliveUntil(workerId).then(
      (until) => {
        if (entry.dropped) return until;
        this.inFlight.delete(workerId);
        const reuse = now + LIVENESS_ANSWER_TTL_MS;
        this.answers.set(workerId, { until, validUntil: until !== undefined && until > 0 ? Math.min(until, reuse) : reuse });
        return until;
      },
      (error: unknown) => {
        if (!entry.dropped) this.inFlight.delete(workerId);
        throw error;
      },
    );
    this.inFlight.set(workerId, entry);
    return entry.read;
  }

  /** Answers that ran out are dropped, so that the workers of months of restarts are not kept. */
  private prune(now: number): void {
    for (const [worker, answer] of this.answers) if (now >= answer.validUntil) this.answers.delete(worker);
  }

  watch(workerId: string, onDead: () => void, now?: () => number): () => void {
    return this.store.watch(
      workerId,
      () => {
        this.forget(workerId);
        onDead();
      },
      now,
    );
  }

  /** Drops what is known of `workerId`: the next lookup reads the store. */
  forget(workerId: string): void {
    this.answers.delete(workerId);
    const pending = this.inFlight.get(workerId);
    if (pending) pending.dropped = true;
    this.inFlight.delete(workerId);
  }
}
