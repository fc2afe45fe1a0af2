/**
 * `sagaflow cancel <sagaId> --reason <text>`: records the cancellation (`SagaCancelRequested`).
 * The saga then compensates what it did, on whichever worker runs it; with `--sagas`, this
 * process runs the compensation itself and waits for the end.
 */
import type { AnySagaDefinition } from '../definition/defineSaga.js';
import type { Logger } from '../observability/logger.js';
import { createEngine } from '../runtime/engine.js';
import { sagaStreamId } from '../runtime/sagaStream.js';
import type { EventStore } from '../stores/eventStore.js';
import type { CliIo } from './cliIo.js';
import { ExitCode } from './cliIo.js';
import { formatTimeline } from './timeline.js';

/** Options of {@link cancelCommand}. */
export interface CancelCommandOptions {
  /** Why: recorded in the event and shown in the timeline. */
  reason: string;
  /** Definitions: run the compensation here and wait for it. @default none (a worker runs it) */
  sagas?: readonly AnySagaDefinition[];
  /** How long to wait for the end with `sagas`, in ms. @default 60_000 */
  timeoutMs?: number;
  /** Print JSON. @default false */
  json?: boolean;
  /** Where the engine logs. @default silent */
  logger?: Logger;
}

/** Cancels one saga. Exit 0 when the cancellation was recorded, 1 when the saga was not running (ended, or already cancelled), 2 for an unknown saga. */
export async function cancelCommand(store: EventStore, sagaId: string, io: CliIo, options: CancelCommandOptions): Promise<ExitCode> {
  const before = await store.readStream(sagaStreamId(sagaId));
  if (before.length === 0) {
    io.err(`No saga ${sagaId} in this store.`);
    return ExitCode.Error;
  }
  const run = options.sagas !== undefined;
  const engine = await createEngine({
    store,
    sagas: options.sagas ?? [],
    resumeUnfinished: false,
    ...(run ? {} : { runSagas: false }),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const state = await engine.state(sagaId);
    const requested = await engine.cancel(sagaId, options.reason);
    if (!requested) {
      const why =
        state.status === 'running'
          ? 'a cancellation was already requested'
          : `it is ${state.status}${state.status === 'compensating' ? ' already' : ''}, not running`;
      if (options.json) io.out(JSON.stringify({ sagaId, cancelled: false, status: state.status, reason: why }));
      else io.err(`Saga ${sagaId} was not cancelled: ${why}.`);
      return ExitCode.Broken;
    }
    if (!run) {
      if (options.json) io.out(JSON.stringify({ sagaId, cancelled: true, status: 'cancel requested' }));
      else
        io.out(
          `cancel requested for saga ${sagaId}: it compensates on the worker that runs it (sagaflow worker, or cancel again with --sagas to run it here).`,
        );
      return ExitCode.Ok;
    }
    const timedOut = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), options.timeoutMs ?? 60_000)));
    const result = await Promise.race([engine.result(sagaId), timedOut]);
    const after = (await store.readStream(sagaStreamId(sagaId))).slice(before.length);
    if (options.json) io.out(JSON.stringify({ sagaId, cancelled: true, status: result?.status ?? 'compensating', result: result ?? null }, null, 2));
    else {
      io.out(`saga ${sagaId}: events since the cancellation`);
      for (const line of formatTimeline(after)) io.out(line);
      io.out(result ? `result: ${result.status}` : 'still compensating at the timeout; it continues on the next worker.');
    }
    return ExitCode.Ok;
  } finally {
    clearTimeout(timer);
    await engine.close({ graceMs: 1_000 });
  }
}
