/**
 * `sagaflow start <saga> --input <json> --sagas <module>`: starts a saga and runs it in this
 * process, following it live with a progress line (rewritten in place on a terminal, one line
 * per change when piped) until it ends; then prints its outcome. `--detach` only starts it,
 * for workers (`sagaflow worker`) to run.
 */
import { parseSagaEvent } from '../core/events.js';
import { evolve } from '../core/evolve.js';
import type { SagaState } from '../core/sagaState.js';
import type { AnySagaDefinition } from '../definition/defineSaga.js';
import type { Logger } from '../observability/logger.js';
import { createEngine } from '../runtime/engine.js';
import type { SagaResult } from '../runtime/sagaResult.js';
import type { EventStore } from '../stores/eventStore.js';
import type { CliIo } from './cliIo.js';
import { ExitCode } from './cliIo.js';
import { formatDuration } from './timeline.js';

/** Options of {@link startCommand}. */
export interface StartCommandOptions {
  /** The definitions (the saga to start is one of them, by name). */
  sagas: readonly AnySagaDefinition[];
  /** The saga's input (validated by its schema). */
  input: unknown;
  /** Same key, same input: the same saga, not a second one. @default none */
  idempotencyKey?: string;
  /** Start only: leave the saga to workers. @default false */
  detach?: boolean;
  /** Stop following after this long, in ms (the saga goes on, on any worker). @default no limit */
  timeoutMs?: number;
  /** Print JSON (the outcome only). @default false */
  json?: boolean;
  /** Shows the progress line; called at every change. @default one io.out line per change */
  progress?: (line: string) => void;
  /** Ends the progress display (a terminal's line in place is finished with a newline). */
  progressDone?: () => void;
  /** Where the engine logs. @default silent */
  logger?: Logger;
  /** Aborted (Ctrl-C): stop following; the saga continues on the next worker. */
  stop?: AbortSignal;
}

/** The progress line of a state: status, steps done, what runs or waits. Pure. */
export function progressLine(state: SagaState, now: number): string {
  const head = `${state.saga}@${state.version} ${state.sagaId}  ${state.status}${state.needsAttention ? ' (needs attention)' : ''}`;
  const done = `${state.succeeded.length}/${state.steps.length} steps`;
  const undo = state.compensation ? `, compensated ${state.compensation.done.length}/${state.compensation.plan.length}` : '';
  let doing = '';
  if (state.inFlight) doing = `  ${state.inFlight.phase === 'compensation' ? 'compensating ' : ''}${state.inFlight.step} attempt ${state.inFlight.attempt}`;
  else if (state.retry) doing = `  ${state.retry.step} attempt ${state.retry.attempt} in ${formatDuration(Math.max(0, state.retry.dueAt - now))}`;
  return `${head}  ${done}${undo}${doing}`;
}

function outcome(result: SagaResult): string {
  switch (result.status) {
    case 'completed':
      return 'completed';
    case 'compensated':
      return `compensated (${result.failure ? `${result.failure.step ?? 'saga'} failed: ${result.failure.code}: ${result.failure.message}` : 'cancelled'}); undone: ${result.compensated.join(' → ') || 'nothing'}`;
    case 'failed':
      return `PARKED, needs attention: ${result.failure?.message ?? 'unknown reason'}`;
  }
}

/** Starts (and, unless detached, runs and follows) one saga. Exit 0 when it completes, 1 when it compensates, parks or is still running at the timeout. */
export async function startCommand(store: EventStore, sagaName: string, io: CliIo, options: StartCommandOptions): Promise<ExitCode> {
  const engine = await createEngine({
    store,
    sagas: options.sagas,
    resumeUnfinished: false,
    ...(options.detach ? { runSagas: false } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const started = await engine.start(sagaName, options.input, options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey });
    const { sagaId, created } = started;
    if (options.detach) {
      if (options.json) io.out(JSON.stringify({ sagaId, created, status: 'started' }));
      else
        io.out(
          `${created ? 'started' : 'already started (same idempotency key)'}: saga ${sagaId}; workers run it (sagaflow worker). Follow it with: sagaflow show ${sagaId} --store <url>`,
        );
      return ExitCode.Ok;
    }
    if (!options.json) io.out(`${created ? 'started' : 'already started (same idempotency key)'}: saga ${sagaId}`);
    const progress = options.json ? undefined : (options.progress ?? ((line: string) => io.out(line)));
    let state: SagaState | undefined;
    let lastLine = '';
    const follow = engine.saga$(sagaId).subscribe((record) => {
      state = evolve(state, parseSagaEvent(record, { streamId: record.streamId, revision: record.revision }));
      const line = state ? progressLine(state, Date.now()) : '';
      if (progress && line !== lastLine) progress(line);
      lastLine = line;
    });
    const stopped = new Promise<'stopped'>((resolve) => {
      if (options.timeoutMs !== undefined) timer = setTimeout(() => resolve('stopped'), options.timeoutMs);
      options.stop?.addEventListener('abort', () => resolve('stopped'), { once: true });
    });
    const result = await Promise.race([engine.result(sagaId), stopped]);
    follow.unsubscribe();
    options.progressDone?.();
    if (result === 'stopped') {
      if (options.json) io.out(JSON.stringify({ sagaId, created, status: state?.status ?? 'running', result: null }));
      else io.out(`stopped following: saga ${sagaId} is ${state?.status ?? 'running'}; it continues on the next worker (sagaflow worker).`);
      return ExitCode.Broken;
    }
    if (options.json) io.out(JSON.stringify({ sagaId, created, status: result.status, result }, null, 2));
    else {
      io.out(`result: ${outcome(result)}`);
      io.out(`timeline: sagaflow show ${sagaId} --store <url>`);
    }
    return result.status === 'completed' ? ExitCode.Ok : ExitCode.Broken;
  } finally {
    clearTimeout(timer);
    await engine.close({ graceMs: 1_000 });
  }
}
