/**
 * Group commit in the process: append() calls queue here, and up to `writers` connections
 * each send what has gathered as ONE append_batch call, so appends that are ready at the same
 * moment share one transaction and one WAL flush. Each append still gets its own outcome.
 *
 * Rules that keep the port's semantics:
 * - two appends to the same stream never share a batch, and a later one never starts before
 *   the earlier one settled (order preserved);
 * - appends whose event ids overlap never share a batch (the later one then sees the earlier
 *   one's ids, as it would one after the other);
 * - a batch carries at most MAX_EVENTS_PER_TRANSACTION events (positions have 12 bits for them);
 * - a batch that fails as a whole (a unique-violation race with another process, a dropped
 *   connection) is retried append by append, each with the usual connection retry: a retry
 *   of an append that did commit finds its ids and is an idempotent success.
 */
import type { AppendResult } from '../eventStore.js';
import { MAX_EVENTS_PER_TRANSACTION } from './appendFunctionSql.js';
import type { AppendOutcome, AppendRequest } from './appendEvents.js';

interface Pending extends AppendRequest {
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/** What the batcher needs from the store. */
export interface BatchRunner {
  /** One append_batch call on a pooled connection, no retry. Throws when the statement fails as a whole. */
  runBatch(batch: readonly AppendRequest[]): Promise<AppendOutcome[]>;
  /** One append on its own, with the connection retry and the unique-violation handling. */
  runOne(request: AppendRequest): Promise<AppendOutcome>;
  /** Some append committed: send a (coalesced) wake-up to subscribers. */
  committed(): void;
}

export class AppendBatcher {
  private readonly queue: Pending[] = [];
  private readonly inFlight = new Set<string>();
  private active = 0;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly runner: BatchRunner,
    private readonly writers = 2,
  ) {}

  append(request: AppendRequest): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ ...request, resolve, reject });
      // Start after the current tick, so that appends issued together travel together.
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => {
          this.scheduled = false;
          this.startWriters();
        });
      }
    });
  }

  /** Resolves once nothing is queued or running. */
  drained(): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private startWriters(): void {
    while (this.active < this.writers && this.hasTakeable()) {
      this.active++;
      void this.writerLoop();
    }
  }

  private hasTakeable(): boolean {
    return this.queue.some((p) => !this.inFlight.has(p.streamId));
  }

  /** Takes the next batch off the queue, in queue order, skipping streams that must wait. */
  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const blocked = new Set<string>();
    const ids = new Set<string>();
    let events = 0;
    // An index loop: taken requests are spliced out as we go.
    for (let i = 0; i < this.queue.length; i++) {
      const p = this.queue[i];
      if (!p) break;
      const waits = blocked.has(p.streamId) || this.inFlight.has(p.streamId) || p.events.some((e) => ids.has(e.id.toLowerCase()));
      if (waits || (batch.length > 0 && events + p.events.length > MAX_EVENTS_PER_TRANSACTION)) {
        blocked.add(p.streamId); // everything later for this stream waits too: order preserved
        continue;
      }
      batch.push(p);
      blocked.add(p.streamId);
      events += p.events.length;
      for (const e of p.events) ids.add(e.id.toLowerCase());
      this.queue.splice(i--, 1);
    }
    for (const p of batch) this.inFlight.add(p.streamId);
    return batch;
  }

  private async writerLoop(): Promise<void> {
    try {
      for (;;) {
        const batch = this.takeBatch();
        if (batch.length === 0) break;
        await this.send(batch);
        for (const p of batch) this.inFlight.delete(p.streamId);
      }
    } finally {
      this.active--;
      if (this.hasTakeable()) this.startWriters();
      if (this.active === 0 && this.queue.length === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const wake of waiters) wake();
      }
    }
  }

  private async send(batch: Pending[]): Promise<void> {
    let outcomes: AppendOutcome[] | undefined;
    if (batch.length > 1) {
      outcomes = await this.runner.runBatch(batch).catch(() => undefined);
    }
    if (!outcomes) {
      // One append, or a batch that failed as a whole: each on its own, with the usual retry.
      outcomes = [];
      for (const p of batch) {
        outcomes.push(await this.runner.runOne(p).catch((error: unknown) => ({ ok: false as const, error: error as Error })));
      }
    }
    if (outcomes.some((o) => o.ok && o.appended)) this.runner.committed();
    for (const [i, outcome] of outcomes.entries()) {
      const p = batch[i];
      if (!p) continue;
      if (outcome.ok) p.resolve(outcome.result);
      else p.reject(outcome.error);
    }
  }
}
