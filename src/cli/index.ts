/**
 * `sagaflow/cli`: the pieces of the command line that are useful as a library: the timeline
 * formatter (pure) and the commands, which take a store and an output.
 *
 * @module sagaflow/cli
 */
export { formatTimeline, formatDuration, type TimelineEvent, type TimelineOptions } from './timeline.js';
export { listCommand, timelineCommand, verifyCommand, streamProblems } from './inspectCommands.js';
export { resumeCommand, type ResumeOptions } from './resumeCommand.js';
export { readAllSagaStreams, readSagaStream, type SagaStream } from './sagaStreams.js';
export { loadSagaDefinitions, definitionsOf } from './loadSagas.js';
export { ExitCode, type CliIo } from './cliIo.js';
export { loadCodec, withConfiguredCodec, CODEC_ENV } from './codecOption.js';
