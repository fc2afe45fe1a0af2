/**
 * `sagaflow worker`: a stateless worker process. It resumes every unfinished saga whose lease
 * has run out (oldest first, bounded concurrency), then runs whatever moves in the store, until
 * SIGTERM/SIGINT: then it stops taking work, lets running attempts finish (or releases them
 * after the grace period) and exits 0. When the store stays unavailable past the engine's
 * infrastructure policy, the engine is unhealthy: the worker stops and exits non-zero, so that
 * its supervisor restarts it.
 */
import { createEngine } from '../runtime/engine.js';
import type { AnySagaDefinition } from '../definition/defineSaga.js';
import type { InfrastructurePolicy } from '../core/infrastructurePolicy.js';
import type { Logger } from '../observability/logger.js';
import type { EventStore } from '../stores/eventStore.js';

export interface WorkerCommandOptions {
  sagas: AnySagaDefinition[];
  logger: Logger;
  concurrency: number;
  leaseMs: number;
  graceMs: number;
  workerId?: string;
  infrastructure?: Partial<InfrastructurePolicy>;
  /**
   * Aborted by SIGTERM/SIGINT. The caller installs the handlers before anything else (even
   * before the store is opened), so a stop during start-up is never lost.
   */
  stop: AbortSignal;
  /** Called once the worker is up, with how many unfinished sagas it resumed. */
  onReady?(recovered: number): void;
}

/** Why the worker ended: asked to stop, or unhealthy (the store stayed unavailable). */
export type WorkerExit = 'stopped' | 'unhealthy';

/** Runs a worker until a stop signal or until the engine is unhealthy; resolves when it has shut down. */
export async function runWorker(store: EventStore, options: WorkerCommandOptions): Promise<WorkerExit> {
  if (options.stop.aborted) return 'stopped';
  const engine = await createEngine({
    store,
    sagas: options.sagas,
    logger: options.logger,
    concurrency: options.concurrency,
    leaseMs: options.leaseMs,
    ...(options.workerId ? { workerId: options.workerId } : {}),
    ...(options.infrastructure ? { infrastructure: options.infrastructure } : {}),
  });
  let exitWith: (exit: WorkerExit) => void = () => {};
  const ended = new Promise<WorkerExit>((resolve) => (exitWith = resolve));
  const health = engine.health$.subscribe((h) => {
    if (h.status !== 'unhealthy') return;
    options.logger.error(
      { worker: engine.workerId, since: h.since, reason: h.reason },
      'unhealthy: the store stays unavailable; stopping so that a supervisor restarts this worker',
    );
    exitWith('unhealthy');
  });
  const onStop = (): void => exitWith('stopped');
  options.stop.addEventListener('abort', onStop, { once: true });
  try {
    if (!options.stop.aborted) {
      await engine.startWorker();
      options.logger.info({ worker: engine.workerId, recovered: engine.recovered, sagas: options.sagas.map((s) => `${s.name}@${s.version}`) }, 'worker ready');
      options.onReady?.(engine.recovered);
    }
    const exit = options.stop.aborted ? 'stopped' : await ended;
    options.logger.info({ worker: engine.workerId, exit }, 'stopping: finishing running attempts');
    await engine.close({ graceMs: options.graceMs });
    return exit;
  } catch (error) {
    await engine.close({ graceMs: 0 }).catch(() => {});
    throw error;
  } finally {
    health.unsubscribe();
    options.stop.removeEventListener('abort', onStop);
  }
}
