#!/usr/bin/env node
/**
 * The `sagaflow` command line: inspect, verify, replay and operate sagas in any store a URL names.
 *   sagaflow list    --store <url> [--status s] [--saga name] [--since t] [--limit n] [--cursor c]
 *   sagaflow show    <sagaId> --store <url> [--format text|json|mermaid|html]
 *   sagaflow replay  <sagaId> --store <url> [--to <revision>]
 *   sagaflow verify  [sagaId] --store <url> [--sagas <module>]
 *   sagaflow diagram <saga> --sagas <module>
 *   sagaflow start   <saga> --store <url> --sagas <module> --input <json>
 *   sagaflow cancel  <sagaId> --store <url> --reason <text> [--sagas <module>]
 *   sagaflow resume  <sagaId> --store <url> --sagas <module>
 *   sagaflow worker  --store <url> --sagas <module> [--concurrency n] [--lease-ms ms] [--grace-ms ms]
 *   sagaflow ui      --store <url> [--host h] [--port p] [--token t] [--sagas <module>]
 * Every command takes --json. Exit codes: 0 ok, 1 a finding (a broken stream, a refused
 * operation, a saga that already ended), 2 usage (bad option, unknown saga, missing store),
 * 3 an unhealthy worker. See program.ts.
 */
import { ExitCode, processIo } from './cliIo.js';
import { createProgram, registerInspectCommands, registerOperateCommands, registerWorkerCommand } from './program.js';
import { createUiCommand } from './uiCommand.js';

// `sagaflow list | head` closes our stdout early: that is the reader's choice, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitCode.Ok);
  throw error;
});

const program = createProgram();
registerInspectCommands(program, processIo);
registerOperateCommands(program, processIo);
registerWorkerCommand(program, processIo);
program.addCommand(createUiCommand(processIo));
// More commands register here, one line each: registerXCommand(program, processIo);

await program.parseAsync(process.argv);
