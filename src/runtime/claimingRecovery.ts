/**
 * Splits the unfinished sagas among workers that start at once, instead of each taking all of
 * them (a thundering herd: N workers loading, and racing for, every saga). On a store whose
 * open-stream index can claim (`openStreams.claim`: PostgreSQL, memory), a worker claims a
 * batch of open sagas, drives them, and claims the next batch only when it has room again, so
 * workers that start together share the work by their capacity. While other workers hold
 * claims, a sweep every third of the claim lease renews this worker's claims and takes over
 * claims that ran out: a worker that died after claiming sagas it had not driven yet strands
 * them for one claim lease at most.
 * The sweep leaves never-claimed sagas alone: those are driven by the live worker that started
 * them, and the followers watch that worker (engine.ts, follow), so a sweep loads nothing else.
 *
 * A claim is advice, never a lock: fencing stays the stream's expected revision, so a saga
 * driven by two workers at once is still safe, only wasteful.
 */
import type { ClaimOpenStreamsOptions, OpenStreamIndex, OpenStreamsPage } from '../stores/eventStore.js';
import type { Clock } from './clock.js';
import { scheduleOn } from './clock.js';
import { SAGA_STREAM_PREFIX, sagaIdOf } from './sagaStream.js';

/** An open-stream index that can claim. */
export type ClaimingIndex = OpenStreamIndex & { claim(options: ClaimOpenStreamsOptions): Promise<OpenStreamsPage> };

/** What the recovery needs of its engine. */
export interface ClaimingRecoveryDeps {
  index: ClaimingIndex;
  /** This worker's id: the claims' owner. */
  owner: string;
  /** Sagas claimed at a time; the next batch is claimed once fewer than half of it still run. */
  batch: number;
  /** How long a claim holds (ms, by `clock`) before other workers may take it. */
  claimLeaseMs: number;
  /** The engine's clock: claims and sweeps run by it (a virtual clock in tests). */
  clock: Clock;
  /** Aborted when the engine stops driving sagas. */
  stopped: AbortSignal;
  /** True while this engine drives the saga or holds a timer for it. */
  isActive(sagaId: string): boolean;
  /** Drive the saga. */
  kick(sagaId: string): void;
  /** Resolves once fewer than `n` drives run. */
  room(n: number): Promise<void>;
  /** Each batch claimed, for the engine's count and logs. */
  claimed(count: number): void;
  /** A claim failed (the store is away); the next sweep tries again. */
  failed(error: unknown): void;
}

export class ClaimingRecovery {
  private cancelSweep: (() => void) | undefined;
  /** Sagas claimed so far (a renewed claim is not a new one). */
  private readonly seen = new Set<string>();
  /** The claiming under way (the start's later batches, a sweep), for `idle`. */
  private busy: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ClaimingRecoveryDeps) {}

  /**
   * Claims and drives the first batch; the rest is claimed in the background as room frees.
   * Returns the first page's position: a subscription from there misses nothing unlisted. On an
   * incomplete index (`complete: false`) it claims nothing and does nothing more.
   */
  async start(): Promise<{ complete: boolean; claimed: number; position: number }> {
    const first = await this.claim(0);
    // An upgraded store whose index is not complete yet: the caller scans the log instead.
    if (!first.complete) return { complete: false, claimed: 0, position: first.position };
    this.take(first);
    this.busy = this.rest(first.next, first.heldByOthers === true);
    return { complete: true, claimed: first.streamIds.length, position: first.position };
  }

  /** Resolves once no claim is being made (the drives it kicked are the scheduler's). */
  idle(): Promise<void> {
    return this.busy;
  }

  /** At the start every open saga not claimed by another is fair game; a sweep takes only claims that ran out. */
  private claim(after: number, expiredOnly = false): Promise<OpenStreamsPage> {
    const { batch, owner, claimLeaseMs } = this.deps;
    return this.deps.index.claim({
      streamPrefix: SAGA_STREAM_PREFIX,
      limit: batch,
      owner,
      leaseMs: claimLeaseMs,
      after,
      expiredOnly,
      now: this.deps.clock.now(),
    });
  }

  /** Drives the claimed sagas this engine is not driving already; reports those claimed for the first time. */
  private take(page: OpenStreamsPage): void {
    let first = 0;
    for (const streamId of page.streamIds) {
      const sagaId = sagaIdOf(streamId);
      if (!this.seen.has(sagaId)) {
        this.seen.add(sagaId);
        first++;
      }
      if (!this.deps.isActive(sagaId)) this.deps.kick(sagaId);
    }
    if (first > 0) this.deps.claimed(first);
  }

  /** The later batches of the start, each once this engine has room for it; then a sweep if others hold claims. */
  private rest(after: number | undefined, heldByOthers: boolean): Promise<void> {
    return this.pass(after, { expiredOnly: false, waitForRoom: true, heldByOthers });
  }

  /**
   * Only while other workers hold claims: those are what may run out unserved. A worker alone
   * (the usual restart) never sweeps.
   */
  private scheduleSweep(): void {
    if (this.deps.stopped.aborted) return;
    this.cancelSweep = scheduleOn(this.deps.clock, Math.max(10, Math.floor(this.deps.claimLeaseMs / 3)), () => {
      // No waiting for room here: a renewal held back by a busy worker would let its claims run out.
      this.busy = this.pass(0, { expiredOnly: true, waitForRoom: false, heldByOthers: false });
    });
  }

  /**
   * Claims page after page from `after` and drives what it gets; sweeps again later if any page
   * (or the caller's earlier one) says other workers hold claims, or a claim failed.
   */
  private async pass(after: number | undefined, options: { expiredOnly: boolean; waitForRoom: boolean; heldByOthers: boolean }): Promise<void> {
    let held = options.heldByOthers;
    try {
      for (let cursor = after; cursor !== undefined && !this.deps.stopped.aborted; ) {
        if (options.waitForRoom) await this.deps.room(Math.ceil(this.deps.batch / 2));
        if (this.deps.stopped.aborted) return;
        const page = await this.claim(cursor, options.expiredOnly);
        this.take(page);
        held ||= page.heldByOthers === true;
        cursor = page.next;
      }
    } catch (error) {
      // The next sweep claims what is left.
      if (!this.deps.stopped.aborted) this.deps.failed(error);
      held = true;
    }
    if (held) this.scheduleSweep();
  }

  /** Stops sweeping (the engine closes). */
  stop(): void {
    this.cancelSweep?.();
    this.cancelSweep = undefined;
  }
}

/** The index, when it can claim. */
export function claimingIndex(index: OpenStreamIndex | undefined): ClaimingIndex | undefined {
  return index?.claim ? (index as ClaimingIndex) : undefined;
}
