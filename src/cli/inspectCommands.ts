/**
 * The read-only commands: `list`, `timeline`, `verify`. Each reads the store, prints, and
 * returns its exit code; none appends anything.
 */
import { evolve } from '../core/evolve.js';
import { violations } from '../core/invariants.js';
import type { SagaModel } from '../core/sagaModel.js';
import type { SagaState } from '../core/sagaState.js';
import type { EventStore } from '../stores/eventStore.js';
import type { CliIo } from './cliIo.js';
import { ExitCode, table } from './cliIo.js';
import type { SagaStream } from './sagaStreams.js';
import { readAllSagaStreams, readSagaStream } from './sagaStreams.js';
import { formatTimeline } from './timeline.js';

function statusOf(stream: SagaStream): string {
  if (stream.error) return 'UNREADABLE';
  if (!stream.state) return 'no SagaStarted';
  return stream.state.needsAttention ? `${stream.state.status} (needs attention)` : stream.state.status;
}

function progressOf(state: SagaState | undefined): string {
  if (!state) return '';
  const done = `${state.succeeded.length}/${state.steps.length} steps`;
  const skipped = state.steps.filter((s) => s.status === 'skipped').length;
  const undone = state.compensation ? `, ${state.compensation.done.length}/${state.compensation.plan.length} compensated` : '';
  return `${done}${skipped > 0 ? `, ${skipped} skipped` : ''}${undone}`;
}

/** `sagaflow list`: every saga in the store with its status, oldest first. */
export async function listCommand(store: EventStore, io: CliIo): Promise<ExitCode> {
  const streams = await readAllSagaStreams(store);
  if (streams.length === 0) {
    io.out('No sagas in this store.');
    return ExitCode.Ok;
  }
  const rows = streams.map((s) => [
    s.sagaId,
    s.state ? `${s.state.saga}@${s.state.version}` : '?',
    statusOf(s),
    progressOf(s.state),
    String(s.recorded.length),
    s.state ? new Date(s.state.startedAt).toISOString() : '',
  ]);
  for (const line of table([['saga id', 'saga', 'status', 'progress', 'events', 'started'], ...rows])) io.out(line);
  io.out(`${streams.length} saga(s)`);
  return ExitCode.Ok;
}

/** `sagaflow timeline <sagaId>`: the saga's events, one readable line each. */
export async function timelineCommand(store: EventStore, sagaId: string, io: CliIo): Promise<ExitCode> {
  const stream = await readSagaStream(store, sagaId);
  if (!stream) {
    io.err(`No saga ${sagaId} in this store (stream saga-${sagaId} is empty). List the sagas with: sagaflow list --store <url>`);
    return ExitCode.Error;
  }
  const title = stream.state ? `${stream.state.saga}@${stream.state.version}` : 'unknown saga';
  io.out(`saga ${sagaId}  ${title}  status ${statusOf(stream)}  (${stream.recorded.length} events)`);
  for (const line of formatTimeline(stream.recorded)) io.out(line);
  if (stream.error) io.err(`warning: ${stream.error}`);
  return ExitCode.Ok;
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

/**
 * `sagaflow verify [sagaId]`: folds each stream (or one) and checks every state along it is
 * valid. With `models`, attempts are also checked against each step's retry policy.
 * Exit code 1 if any saga is broken.
 */
export async function verifyCommand(store: EventStore, sagaId: string | undefined, io: CliIo, models: readonly SagaModel[] = []): Promise<ExitCode> {
  let streams: SagaStream[];
  if (sagaId === undefined) streams = await readAllSagaStreams(store);
  else {
    const one = await readSagaStream(store, sagaId);
    if (!one) {
      io.err(`No saga ${sagaId} in this store.`);
      return ExitCode.Error;
    }
    streams = [one];
  }
  const byName = new Map(models.map((m) => [`${m.name}@${m.version}`, m]));
  let broken = 0;
  for (const stream of streams) {
    const model = stream.state ? byName.get(`${stream.state.saga}@${stream.state.version}`) : undefined;
    const problems = streamProblems(stream, model);
    const what = stream.state ? `${stream.state.saga}@${stream.state.version} ${statusOf(stream)}, ${stream.recorded.length} events` : statusOf(stream);
    io.out(`${problems.length === 0 ? 'ok    ' : 'BROKEN'}  ${stream.sagaId}  ${what}`);
    for (const p of problems) io.out(`        ${p}`);
    if (problems.length > 0) broken += 1;
  }
  io.out(`verified ${streams.length} saga(s): ${streams.length - broken} ok, ${broken} broken`);
  return broken > 0 ? ExitCode.Broken : ExitCode.Ok;
}
