/**
 * The worker's own liveness record (store.workerLiveness), renewed once per leaseMs / 3 for
 * all of its attempts at once: what replaces a LeaseExtended event per attempt in each saga's
 * stream. It is written once when the engine starts (so that the record names this process
 * before any attempt of it is visible) and then renewed only while attempts run: an idle
 * worker writes nothing, and its record, once expired, shortens no attempt's own lease.
 */
import { errorInfo } from '../core/classify.js';
import type { Logger } from '../observability/logger.js';
import type { WorkerLiveness } from '../stores/eventStore.js';
import type { Clock } from './clock.js';
import { scheduleOn } from './clock.js';

export class WorkerHeartbeat {
  /** Settles once the first record was written (or failed to be): drives wait for it. */
  readonly ready: Promise<void>;
  private running = 0;
  private cancel: (() => void) | undefined;
  private stopped = false;
  private renewedUntil = 0;
  private renewing: Promise<void> | undefined;
  private readonly every: number;

  constructor(
    private readonly liveness: WorkerLiveness,
    private readonly workerId: string,
    private readonly leaseMs: number,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.every = Math.max(5, Math.floor(leaseMs / 3));
    this.ready = this.renew();
  }

  private async renew(): Promise<void> {
    const until = this.clock.now() + this.leaseMs;
    try {
      await this.liveness.renew(this.workerId, until);
      this.renewedUntil = Math.max(this.renewedUntil, until);
    } catch (error) {
      // The attempts' own leases still hold; other workers take them over once both ran out.
      if (!this.stopped) this.log.warn({ err: errorInfo(error) }, 'worker liveness renewal failed; will retry');
    }
  }

  private tick = (): void => {
    this.cancel = undefined;
    if (this.stopped || this.running === 0) return;
    // A renewal still under way (a slow or unreachable store) is not doubled: renewals would pile up.
    if (!this.renewing) this.renewing = this.renew().finally(() => (this.renewing = undefined));
    this.cancel = scheduleOn(this.clock, this.every, this.tick);
  };

  /** An attempt starts: the record is renewed until every attempt held has ended. Returns the release. */
  hold(): () => void {
    this.running++;
    if (!this.cancel && !this.stopped) {
      // Renewed less than a period ago: the next renewal is due at the end of that period.
      const due = this.renewedUntil - this.leaseMs + this.every - this.clock.now();
      if (due <= 0) this.tick();
      else this.cancel = scheduleOn(this.clock, due, this.tick);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
    };
  }

  /** A crash (kill): renew no more, release nothing; the record expires on its own. */
  stop(): void {
    this.stopped = true;
    this.cancel?.();
    this.cancel = undefined;
  }

  /** A graceful close, once no attempt runs: the record says dead, so nothing waits for it. */
  async release(): Promise<void> {
    this.stop();
    await this.liveness
      .release(this.workerId)
      .catch((error: unknown) => this.log.warn({ err: errorInfo(error) }, 'could not release the worker liveness record; it expires on its own'));
  }
}
