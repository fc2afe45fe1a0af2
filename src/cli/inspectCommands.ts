/**
 * The read-only commands: `list`, `show` (alias `timeline`), `replay`, `verify`. Each reads the
 * store, prints, and returns its exit code; none appends anything.
 */
import { evolve } from '../core/evolve.js';
import { violations } from '../core/invariants.js';
import type { SagaModel } from '../core/sagaModel.js';
import type { SagaState } from '../core/sagaState.js';
import type { EventStore } from '../stores/eventStore.js';
import type { CliIo } from './cliIo.js';
import { ExitCode } from './cliIo.js';
import type { SagaStream } from './sagaStreams.js';
import { showCommand } from './showCommand.js';
import { type StreamVerdict, verifyStreams } from './verifyStreams.js';

export { listCommand } from './listCommand.js';

/** `sagaflow timeline <sagaId>`: `show` in text, uncoloured. */
export function timelineCommand(store: EventStore, sagaId: string, io: CliIo): Promise<ExitCode> {
  return showCommand(store, sagaId, io);
}

/**
 * Problems of one stream: unreadable events, or invariant violations of any folded prefix
 * (each reported once, at the revision where it first appears). Pure.
 */
export function streamProblems(stream: SagaStream, model?: SagaModel): string[] {
  if (stream.error) return [stream.error];
  if (!stream.state) return ['no SagaStarted event: this is not a saga stream'];
  const firstSeen = new Map<string, number>();
  let state: SagaState | undefined;
  stream.events.forEach((event, i) => {
    state = evolve(state, event);
    if (!state) return;
    for (const problem of violations(state, model)) if (!firstSeen.has(problem)) firstSeen.set(problem, stream.recorded[i]?.revision ?? i);
  });
  return [...firstSeen.entries()].map(([problem, revision]) => `revision ${revision}: ${problem}`);
}

/** Options of {@link verifyCommand}. */
export interface VerifyCommandOptions {
  /** Print JSON. @default false */
  json?: boolean;
  /** The time canContinue decides at, ms since the epoch. @default Date.now() */
  now?: number;
}

function line(v: StreamVerdict): string {
  const what = v.saga === null ? v.status : `${v.saga}@${v.version} ${v.status}${v.needsAttention ? ' (needs attention)' : ''}, ${v.events} events`;
  return `${v.problems.length === 0 ? 'ok    ' : 'BROKEN'}  ${v.sagaId}  ${what}`;
}

/**
 * `sagaflow verify [sagaId]`: every saga stream (or one) is checked — every state along it
 * `valid`, the last one `canContinue` — and each broken stream is named with the revision of
 * each problem. With `models`, attempts are also checked against each step's retry policy.
 * Reports how many streams per second it verified. Exit code 1 if any stream is broken.
 */
export async function verifyCommand(
  store: EventStore,
  sagaId: string | undefined,
  io: CliIo,
  models: readonly SagaModel[] = [],
  options: VerifyCommandOptions = {},
): Promise<ExitCode> {
  const started = performance.now();
  const verdicts = await verifyStreams(store, sagaId, { models, ...(options.now === undefined ? {} : { now: options.now }) });
  const elapsedMs = performance.now() - started;
  if (sagaId !== undefined && verdicts.length === 0) {
    io.err(`No saga ${sagaId} in this store.`);
    return ExitCode.Error;
  }
  const broken = verdicts.filter((v) => v.problems.length > 0);
  const rate = elapsedMs > 0 ? Math.round((verdicts.length / elapsedMs) * 1_000) : verdicts.length;
  if (options.json) {
    io.out(
      JSON.stringify(
        {
          streams: verdicts.length,
          ok: verdicts.length - broken.length,
          broken: broken.length,
          elapsedMs: Math.round(elapsedMs),
          streamsPerSecond: rate,
          verdicts,
        },
        null,
        2,
      ),
    );
  } else {
    const lines: string[] = [];
    for (const v of verdicts) {
      lines.push(line(v));
      for (const p of v.problems) lines.push(`        ${p.revision === null ? '' : `revision ${p.revision}: `}${p.problem}`);
    }
    lines.push(
      `verified ${verdicts.length} saga(s): ${verdicts.length - broken.length} ok, ${broken.length} broken, in ${(elapsedMs / 1_000).toFixed(2)} s (${rate} streams/s)`,
    );
    const named = broken.slice(0, 20).map((v) => `${v.streamId} at revision ${v.problems[0]?.revision ?? '?'}`);
    if (broken.length > 0) lines.push(`broken: ${named.join(', ')}${broken.length > 20 ? `, and ${broken.length - 20} more` : ''}`);
    // One write per few thousand lines: a store of 100,000 sagas prints that many.
    for (let i = 0; i < lines.length; i += 2_000) io.out(lines.slice(i, i + 2_000).join('\n'));
  }
  return broken.length > 0 ? ExitCode.Broken : ExitCode.Ok;
}
