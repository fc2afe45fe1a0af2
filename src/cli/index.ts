/**
 * `sagaflow/cli`: the pieces of the command line that are useful as a library: the timeline
 * formatters (pure), the stream verifier, and the commands, which take a store and an output.
 *
 * @module sagaflow/cli
 */
export {
  formatTimeline,
  formatDuration,
  timelineRows,
  toneOf,
  type TimelineEvent,
  type TimelineOptions,
  type TimelineRow,
  type TimelineTone,
} from './timeline.js';
export { timelineJson, timelineMermaid, timelineHtml, outcomeOf } from './timelineFormats.js';
export { listCommand, timelineCommand, verifyCommand, streamProblems, type VerifyCommandOptions } from './inspectCommands.js';
export { listSagas, summarize, type ListOptions, type SagaPage, type SagaSummary } from './listCommand.js';
export { LIST_STATUSES, SHOW_FORMATS, type ListStatus, type ShowFormat } from './cliOptions.js';
export { showCommand, type ShowOptions } from './showCommand.js';
export { replayCommand, type ReplayCommandOptions } from './replayCommand.js';
export { verifyStreams, type StreamProblem, type StreamVerdict, type VerifyOptions } from './verifyStreams.js';
export { startCommand, progressLine, type StartCommandOptions } from './startCommand.js';
export { cancelCommand, type CancelCommandOptions } from './cancelCommand.js';
export { sagaDiagram } from './diagram.js';
export { resumeCommand, type ResumeOptions } from './resumeCommand.js';
export { readAllSagaStreams, readSagaStream, type SagaStream } from './sagaStreams.js';
export { loadSagaDefinitions, definitionsOf } from './loadSagas.js';
export { ExitCode, type CliIo } from './cliIo.js';
export { startConsole, CONSOLE_TOKEN_PATTERN, type ConsoleOptions, type ConsoleHandle } from '../console/consoleServer.js';
export { loadCodec, withConfiguredCodec, CODEC_ENV } from './codecOption.js';
