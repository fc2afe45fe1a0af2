/**
 * `sagaflow worker`: a stateless worker process. It resumes every unfinished saga whose lease
 * has run out (oldest first, bounded concurrency), then runs whatever moves in the store, until
 * SIGTERM/SIGINT: then it stops taking work, lets running attempts finish (or releases them
 * after the grace period) and exits 0.
 */
import { createEngine } from '../runtime/engine.js';
import type { SagaDefinition } from '../definition/defineSaga.js';
import type { Logger } from '../observability/logger.js';
import type { EventStore } from '../stores/eventStore.js';

export interface WorkerCommandOptions {
  sagas: SagaDefinition<any, any>[];
  logger: Logger;
  concurrency: number;
  leaseMs: number;
  graceMs: number;
  workerId?: string;
  /** Called once the worker is up, with how many unfinished sagas it resumed. */
  onReady?(recovered: number): void;
}

/** Runs a worker until a stop signal; resolves when it has shut down. */
export async function runWorker(store: EventStore, options: WorkerCommandOptions): Promise<void> {
  const engine = await createEngine({
    store,
    sagas: options.sagas,
    logger: options.logger,
    concurrency: options.concurrency,
    leaseMs: options.leaseMs,
    ...(options.workerId ? { workerId: options.workerId } : {}),
  });
  await engine.startWorker();
  options.logger.info({ worker: engine.workerId, recovered: engine.recovered, sagas: options.sagas.map((s) => `${s.name}@${s.version}`) }, 'worker ready');
  options.onReady?.(engine.recovered);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      options.logger.info({ worker: engine.workerId, signal }, 'stopping: finishing running attempts');
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      void engine.close({ graceMs: options.graceMs }).then(resolve, resolve);
    };
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
}
