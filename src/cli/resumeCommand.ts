/**
 * `sagaflow resume <sagaId>`: an operator's resume of a parked saga. Appends `SagaResumed`
 * (a fresh retry budget for the stuck compensation), drives the saga in this process with the
 * given definitions, and prints what happened from the resume on.
 */
import type { AnySagaDefinition } from '../definition/defineSaga.js';
import type { Logger } from '../observability/logger.js';
import { createEngine } from '../runtime/engine.js';
import type { SagaResult } from '../runtime/sagaResult.js';
import { sagaStreamId } from '../runtime/sagaStream.js';
import type { EventStore } from '../stores/eventStore.js';
import type { CliIo } from './cliIo.js';
import { ExitCode } from './cliIo.js';
import { formatTimeline } from './timeline.js';

/** Options of {@link resumeCommand}. */
export interface ResumeOptions {
  /** The definitions of the sagas to resume (the engine must know the saga's name and version). */
  sagas: readonly AnySagaDefinition[];
  /** Where the engine logs. @default silent */
  logger?: Logger;
  /** How long to wait for the saga to end before leaving it to other engines, in ms. @default 60_000 */
  timeoutMs?: number;
  /** Recorded in `SagaResumed.by`. @default 'cli' */
  by?: string;
  /** Print JSON: `{ sagaId, resumed, status, result }`. @default false */
  json?: boolean;
}

function describe(result: SagaResult): string {
  if (result.status === 'completed') return 'completed';
  if (result.status === 'compensated') return `compensated (${result.compensated.join(' → ') || 'nothing to undo'})`;
  return `parked again, needs attention: ${result.failure?.message ?? 'unknown reason'}`;
}

/**
 * Resumes one parked saga. Exit code 0 when it ends completed or compensated; 1 when it parks
 * again, or was not parked (it already ended, or is still running); 2 for an unknown saga.
 */
export async function resumeCommand(store: EventStore, sagaId: string, options: ResumeOptions, io: CliIo): Promise<ExitCode> {
  // Only this saga: other unfinished sagas in the store belong to their own workers.
  const engine = await createEngine({ store, sagas: options.sagas, resumeUnfinished: false, ...(options.logger ? { logger: options.logger } : {}) });
  let timer: NodeJS.Timeout | undefined;
  try {
    const before = await store.readStream(sagaStreamId(sagaId));
    if (before.length === 0) {
      io.err(`No saga ${sagaId} in this store.`);
      return ExitCode.Error;
    }
    const state = await engine.state(sagaId);
    if (state.status !== 'failed') {
      const why =
        state.status === 'completed' || state.status === 'compensated'
          ? `it already ended ${state.status}; nothing to resume.`
          : `it is ${state.status}, not parked: an engine started on this store resumes unfinished sagas by itself.`;
      if (options.json) io.out(JSON.stringify({ sagaId, resumed: false, status: state.status, reason: why }));
      else io.err(`Saga ${sagaId} was not resumed: ${why}`);
      return ExitCode.Broken;
    }
    await engine.resume(sagaId, options.by ?? 'cli');
    const timeoutMs = options.timeoutMs ?? 60_000;
    const timedOut = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    const result = await Promise.race([engine.result(sagaId), timedOut]);
    const after = (await store.readStream(sagaStreamId(sagaId))).slice(before.length);
    if (options.json) {
      io.out(JSON.stringify({ sagaId, resumed: true, status: result?.status ?? 'running', result: result ?? null }, null, 2));
      return !result || result.status === 'failed' ? ExitCode.Broken : ExitCode.Ok;
    }
    io.out(`saga ${sagaId}  ${state.saga}@${state.version}: events since the resume`);
    for (const line of formatTimeline(after)) io.out(line);
    if (!result) {
      io.out(`still running after ${timeoutMs} ms; it continues on the next engine that starts on this store.`);
      return ExitCode.Broken;
    }
    io.out(`result: ${describe(result)}`);
    return result.status === 'failed' ? ExitCode.Broken : ExitCode.Ok;
  } finally {
    clearTimeout(timer);
    await engine.close();
  }
}
