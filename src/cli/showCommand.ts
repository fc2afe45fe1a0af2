/**
 * `sagaflow show <sagaId>`: one saga's timeline — each event's time, the time since the previous
 * one, step and attempt, the error and its classification, retries and their delays, the
 * compensation, and the worker — as text (coloured on a terminal), JSON, Mermaid or HTML.
 */
import type { EventStore } from '../stores/eventStore.js';
import type { CliIo } from './cliIo.js';
import { ExitCode } from './cliIo.js';
import { ansiStyler } from './colors.js';
import { readSagaStream } from './sagaStreams.js';
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
}

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
  const state = stream.state;
  const title = state ? `${state.saga}@${state.version}` : 'unknown saga';
  const status = stream.error ? 'UNREADABLE' : !state ? 'no SagaStarted' : state.needsAttention ? `${state.status} (needs attention)` : state.status;
  io.out(style('header', `saga ${sagaId}  ${title}  ${status}  (${stream.recorded.length} events)`));
  if (state) io.out(`started ${new Date(state.startedAt).toISOString()}${state.idempotencyKey === null ? '' : `  idempotency key ${state.idempotencyKey}`}`);
  for (const line of formatTimeline(stream.recorded, { clock: true, sincePrevious: true, worker: true, style })) io.out(line);
  const outcome = outcomeOf(state, stream);
  if (outcome) io.out(outcome);
  if (stream.error) io.err(`sagaflow: the stream cannot be read to its end: ${stream.error}`);
  return broken;
}
