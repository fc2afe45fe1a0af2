/**
 * Runs executors: one drive per saga at a time, at most `concurrency` at once, and a timer for
 * each saga that waits (retry backoff, another worker's lease).
 */
import { errorInfo } from '../core/classify.js';
import { ErrorCode, isSagaError } from '../core/errors.js';
import { infrastructureDelay } from '../core/infrastructurePolicy.js';
import type { SagaState } from '../core/sagaState.js';
import type { Logger } from '../observability/logger.js';
import type { ExecutorDeps, FreshStart } from './sagaExecutor.js';
import { SagaExecutor } from './sagaExecutor.js';
import { Semaphore } from './semaphore.js';

export interface SchedulerHooks {
  /** A saga's stream cannot be read (corrupted event): park it. */
  onCorrupted(sagaId: string, error: unknown): Promise<void>;
  onSettled(sagaId: string, state: SagaState | undefined): void;
  /** The store refuses even the park of this saga: stop driving it, report it. */
  onRefused(sagaId: string, error: unknown): void;
  /** A drive ended waiting for another worker's attempt (`worker`), or for none (undefined). */
  onWaiting?(sagaId: string, worker: string | undefined): void;
}

export class SagaScheduler {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, AbortController>();
  /** Consecutive failed drives per saga (store outages), for the backoff; dropped on success. */
  private readonly failures = new Map<string, number>();
  private readonly semaphore: Semaphore;
  private readonly log: Logger;
  /** Callers of `room`, each waiting until fewer than `n` drives run. */
  private roomWaiters: { n: number; resolve: () => void }[] = [];

  constructor(
    private readonly deps: ExecutorDeps,
    private readonly hooks: SchedulerHooks,
    /** At most this many drives at once. */
    readonly concurrency: number,
  ) {
    this.semaphore = new Semaphore(concurrency);
    this.log = deps.logger;
  }

  /** Drives the saga now (or right after its current drive). */
  kick(sagaId: string, fresh?: FreshStart): void {
    if (this.deps.draining.aborted) {
      fresh?.onFailed(this.deps.draining.reason);
      return;
    }
    this.timers.get(sagaId)?.abort();
    this.timers.delete(sagaId);
    if (this.running.has(sagaId)) {
      // Only an existing saga can be running: a repeated start with its idempotency key.
      fresh?.onCreated({ created: false });
      this.again.add(sagaId);
      return;
    }
    const run = this.run(sagaId, fresh).finally(() => {
      this.running.delete(sagaId);
      if (this.roomWaiters.length > 0) this.wakeRoomWaiters();
      // A kick that arrived after the drive loop's last check (while its timer was being set)
      // must not be lost: drive again now.
      if (this.again.delete(sagaId)) this.kick(sagaId);
    });
    this.running.set(sagaId, run);
  }

  private async run(sagaId: string, fresh?: FreshStart): Promise<void> {
    await this.semaphore.acquire();
    let wakeAt: number | undefined;
    try {
      for (let first = true; first || this.again.has(sagaId); first = false) {
        this.again.delete(sagaId);
        const result = await new SagaExecutor(this.deps, sagaId).drive(first ? fresh : undefined);
        this.failures.delete(sagaId);
        wakeAt = result.wakeAt;
        this.hooks.onWaiting?.(sagaId, result.waitingFor);
        this.hooks.onSettled(sagaId, result.state);
      }
    } catch (error) {
      if (this.deps.killed.aborted) return;
      // A payload that fails its codec's integrity check is as corrupted as a malformed event.
      if (isSagaError(error) && (error.code === ErrorCode.EventCorrupted || error.code === ErrorCode.PayloadTampered)) {
        this.log.error({ sagaId, err: errorInfo(error), details: error.details }, 'corrupted stream: parking the saga');
        await this.hooks.onCorrupted(sagaId, error).catch((e: unknown) => this.log.error({ sagaId, err: errorInfo(e) }, 'could not park the saga'));
      } else if (isSagaError(error) && error.code === ErrorCode.AppendRefused) {
        this.log.error({ sagaId, err: errorInfo(error), details: error.details }, 'the store refuses every append of this saga: no longer driven here');
        this.hooks.onRefused(sagaId, error);
      } else if (
        isSagaError(error) &&
        (error.code === ErrorCode.SagaUnknown ||
          error.code === ErrorCode.DefinitionVersionNotRegistered ||
          error.code === ErrorCode.PayloadTooLarge ||
          error.code === ErrorCode.PayloadKeyUnknown)
      ) {
        this.log.error({ sagaId, err: errorInfo(error) }, 'cannot run this saga here');
        fresh?.onFailed(error);
      } else {
        // Reading the store failed (outage): try again later rather than lose the saga.
        const failures = (this.failures.get(sagaId) ?? 0) + 1;
        this.failures.set(sagaId, failures);
        const delay = infrastructureDelay(this.deps.infrastructure, failures, this.deps.random());
        this.deps.health.failed(`driving saga ${sagaId}`, error, failures, delay);
        fresh?.onFailed(error);
        wakeAt = this.deps.clock.now() + delay;
      }
    } finally {
      this.semaphore.release();
    }
    if (wakeAt !== undefined) this.wakeAt(sagaId, wakeAt);
  }

  private wakeAt(sagaId: string, at: number): void {
    if (this.deps.draining.aborted) return;
    const controller = new AbortController();
    this.timers.set(sagaId, controller);
    this.deps.clock.sleep(Math.max(0, at - this.deps.clock.now()), controller.signal).then(
      () => {
        if (this.timers.get(sagaId) === controller) this.timers.delete(sagaId);
        this.kick(sagaId);
      },
      () => {},
    );
  }

  /** Resolves once fewer than `n` drives run (or are queued for the concurrency limit). */
  room(n: number): Promise<void> {
    if (this.running.size < n || this.deps.draining.aborted) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push({ n, resolve }));
  }

  private wakeRoomWaiters(): void {
    const size = this.running.size;
    const waiting = this.roomWaiters;
    this.roomWaiters = waiting.filter((w) => size >= w.n);
    for (const w of waiting) if (size < w.n) w.resolve();
  }

  /**
   * Runs `wait` without the drive's slot: a parent waiting for its child (childSagas.ts) must
   * not hold a slot the child needs, or parents that fill every slot wait for children that never
   * run. The slot is taken back (in turn) before the outcome is recorded. Call only from a drive.
   */
  async outsideSlot<T>(wait: () => Promise<T>): Promise<T> {
    this.semaphore.release();
    try {
      return await wait();
    } finally {
      await this.semaphore.acquire();
    }
  }

  /** True while this engine drives the saga or holds a timer for it. */
  isActive(sagaId: string): boolean {
    return this.running.has(sagaId) || this.timers.has(sagaId);
  }

  /** Number of sagas being driven or waiting on a timer. */
  get active(): number {
    return new Set([...this.running.keys(), ...this.timers.keys()]).size;
  }

  /** Resolves once no drive is running (timers may remain). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** Cancels every timer, and lets every caller of `room` go (nothing more will be driven). */
  stopTimers(): void {
    for (const w of this.roomWaiters) w.resolve();
    this.roomWaiters = [];
    for (const controller of this.timers.values()) controller.abort();
    this.timers.clear();
  }
}
