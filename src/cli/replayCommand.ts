/**
 * `sagaflow replay <sagaId> --to <revision>`: the saga's state folded up to a revision, and the
 * invariants it breaks — exactly `engine.replay(sagaId, { toRevision })`, run by a client engine
 * that starts nothing and appends nothing.
 */
import type { AnySagaDefinition } from '../definition/defineSaga.js';
import type { SagaState } from '../core/sagaState.js';
import { Engine } from '../runtime/engine.js';
import { sagaStreamId } from '../runtime/sagaStream.js';
import type { EventStore } from '../stores/eventStore.js';
import type { CliIo } from './cliIo.js';
import { ExitCode, table } from './cliIo.js';

/** Options of {@link replayCommand}. */
export interface ReplayCommandOptions {
  /** Last revision to fold (inclusive). @default the stream's last */
  toRevision?: number;
  /** Definitions: the replayed state is also checked against their retry policies. @default none */
  sagas?: readonly AnySagaDefinition[];
  /** Print JSON: `{ sagaId, toRevision, lastRevision, state, violations, events }`. @default false */
  json?: boolean;
}

function describeState(state: SagaState): string[] {
  const lines = [`status ${state.status}${state.needsAttention ? ' (needs attention)' : ''}; succeeded: ${state.succeeded.join(' → ') || 'none'}`];
  if (state.inFlight) lines.push(`in flight: ${state.inFlight.phase} ${state.inFlight.step} attempt ${state.inFlight.attempt} on ${state.inFlight.worker}`);
  if (state.retry)
    lines.push(`retry due: ${state.retry.phase} ${state.retry.step} attempt ${state.retry.attempt} at ${new Date(state.retry.dueAt).toISOString()}`);
  if (state.compensation) {
    lines.push(
      `compensation (${state.compensation.cause}${state.compensation.failedStep ? ` at ${state.compensation.failedStep}` : ''}): plan ${state.compensation.plan.join(' → ') || 'nothing'}; done ${state.compensation.done.join(' → ') || 'nothing'}`,
    );
  }
  if (state.cancelRequested !== null) lines.push(`cancel requested: ${state.cancelRequested}`);
  if (state.failure) lines.push(`failure: ${state.failure.step ?? 'saga'} ${state.failure.kind} ${state.failure.code}: ${state.failure.message}`);
  const rows = state.steps.map((s) => [
    `  ${s.name}`,
    s.status,
    `attempts ${s.attempts}`,
    s.compensationAttempts > 0 ? `compensation attempts ${s.compensationAttempts}` : '',
    s.lastError ? `last error ${s.lastError.code}: ${s.lastError.message}` : '',
  ]);
  lines.push('steps:', ...table(rows));
  const outputs = Object.keys(state.outputs);
  if (outputs.length > 0) lines.push(`outputs: ${JSON.stringify(state.outputs)}`);
  return lines;
}

/** Replays one saga. Exit 0 when the state is valid, 1 when it breaks an invariant, 2 for an unknown saga or a revision past the end. */
export async function replayCommand(store: EventStore, sagaId: string, io: CliIo, options: ReplayCommandOptions = {}): Promise<ExitCode> {
  const [last] = await store.readStream(sagaStreamId(sagaId), { direction: 'backwards', maxCount: 1 });
  if (!last) {
    io.err(`No saga ${sagaId} in this store (stream saga-${sagaId} is empty). List the sagas with: sagaflow list --store <url>`);
    return ExitCode.Error;
  }
  if (options.toRevision !== undefined && options.toRevision > last.revision) {
    io.err(`Saga ${sagaId} has revisions 0 to ${last.revision}; --to ${options.toRevision} is past its end.`);
    return ExitCode.Error;
  }
  // A client: runs no saga, resumes nothing, appends nothing; replay is the engine's own.
  const engine = new Engine({ store, sagas: options.sagas ?? [], runSagas: false });
  try {
    const toRevision = options.toRevision ?? last.revision;
    const replayed = await engine.replay(sagaId, { toRevision });
    if (options.json) {
      io.out(
        JSON.stringify(
          { sagaId, toRevision, lastRevision: last.revision, state: replayed.state ?? null, violations: replayed.violations, events: replayed.events },
          null,
          2,
        ),
      );
    } else {
      const at = replayed.events.at(-1);
      io.out(
        `saga ${sagaId}  ${replayed.state ? `${replayed.state.saga}@${replayed.state.version}` : 'unknown saga'}  replayed to revision ${toRevision} of ${last.revision}${at ? ` (${at.type})` : ''}`,
      );
      if (replayed.state) for (const l of describeState(replayed.state)) io.out(l);
      if (replayed.violations.length === 0) io.out('invariants: all hold');
      else for (const v of replayed.violations) io.out(`BROKEN: ${v}`);
    }
    return replayed.violations.length > 0 ? ExitCode.Broken : ExitCode.Ok;
  } finally {
    await engine.close({ graceMs: 0 });
  }
}
