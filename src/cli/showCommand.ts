/**
 * `sagaflow show <sagaId>`: one saga's timeline — each event's time, the time since the previous
 * one, step and attempt, the error and its classification, retries and their delays, the
 * compensation, and the worker — as text (coloured on a terminal), JSON, Mermaid or HTML.
 */
import type { EventStore } from '../stores/eventStore.js';
import type { CliIo } from './cliIo.js';
import { ExitCode } from './cliIo.js';
import { ansiStyler } from './colors.js';
import { readSagaStream, type SagaStream } from './sagaStreams.js';
import { formatTimeline } from './timeline.js';
import { outcomeOf, timelineHtml, timelineJson, timelineMermaid } from './timelineFormats.js';

import type { ShowFormat } from './cliOptions.js';

export { SHOW_FORMATS, type ShowFormat } from './cliOptions.js';

/** Options of {@link showCommand}. */
export interface ShowOptions {
  /** @default 'text' */
  format?: ShowFormat;
  /** Colour the text format (ANSI). @default false */
  color?: boolean;
  /** Text format: print the timeline of each child saga (of `.child` steps) indented below, and theirs. @default true */
  children?: boolean;
}

/** How deep `show` follows children: a chain longer than this is a cycle or a mistake. */
const MAX_CHILD_DEPTH = 8;

/** Prints one saga's timeline. Exit 2 for an unknown saga; 1 when its stream cannot be read to the end. */
export async function showCommand(store: EventStore, sagaId: string, io: CliIo, options: ShowOptions = {}): Promise<ExitCode> {
  const stream = await readSagaStream(store, sagaId);
  if (!stream) {
    io.err(`No saga ${sagaId} in this store (stream saga-${sagaId} is empty). List the sagas with: sagaflow list --store <url>`);
    return ExitCode.Error;
  }
  const broken = stream.error !== undefined ? ExitCode.Broken : ExitCode.Ok;
  switch (options.format ?? 'text') {
    case 'json':
      io.out(JSON.stringify(timelineJson(stream), null, 2));
      return broken;
    case 'mermaid':
      io.out(timelineMermaid(stream));
      return broken;
    case 'html':
      io.out(timelineHtml(stream));
      return broken;
    case 'text':
      break;
  }
  const style = ansiStyler(options.color === true);
  printTimeline(stream, io, style, '');
  if (options.children !== false) await printChildren(store, stream, io, style, '    ', 1);
  if (stream.error) io.err(`sagaflow: the stream cannot be read to its end: ${stream.error}`);
  return broken;
}

/** The header (with the parent, for a child saga) and the timeline of one stream, each line prefixed with `indent`. */
function printTimeline(stream: SagaStream, io: CliIo, style: ReturnType<typeof ansiStyler>, indent: string): void {
  const state = stream.state;
  const title = state ? `${state.saga}@${state.version}` : 'unknown saga';
  const status = stream.error ? 'UNREADABLE' : !state ? 'no SagaStarted' : state.needsAttention ? `${state.status} (needs attention)` : state.status;
  io.out(style('header', `${indent}saga ${stream.sagaId}  ${title}  ${status}  (${stream.recorded.length} events)`));
  if (state?.parent) io.out(`${indent}child of saga ${state.parent.sagaId} (${state.parent.saga}), started by its step ${state.parent.step}`);
  if (state)
    io.out(`${indent}started ${new Date(state.startedAt).toISOString()}${state.idempotencyKey === null ? '' : `  idempotency key ${state.idempotencyKey}`}`);
  for (const line of formatTimeline(stream.recorded, { clock: true, sincePrevious: true, worker: true, style, indent })) io.out(line);
  const outcome = outcomeOf(state, stream);
  if (outcome) io.out(`${indent}${outcome}`);
}

/** Follows the parent's links to its children: each child's timeline, indented one level more. */
async function printChildren(
  store: EventStore,
  parent: SagaStream,
  io: CliIo,
  style: ReturnType<typeof ansiStyler>,
  indent: string,
  depth: number,
): Promise<void> {
  for (const link of parent.state?.children ?? []) {
    const child = await readSagaStream(store, link.sagaId);
    io.out('');
    if (!child) {
      io.out(`${indent}child ${link.sagaId} (${link.saga}) of step ${link.step}: not started`);
      continue;
    }
    io.out(`${indent}child of step ${link.step}:`);
    printTimeline(child, io, style, indent);
    if (depth < MAX_CHILD_DEPTH) await printChildren(store, child, io, style, `${indent}    `, depth + 1);
  }
}
