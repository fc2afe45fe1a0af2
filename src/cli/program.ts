/**
 * The `sagaflow` commands, registered on a commander program. Each `register*` adds commands;
 * `main.ts` calls them, so another command (a console, say) is one more line there.
 *
 * Every command takes `--store <url>` and `--json`. Exit codes: 0 ok; 1 a finding (a broken
 * stream, a refused operation, a saga that already ended or did not complete); 2 usage (a bad
 * option or argument, an unknown saga, a store that does not exist or cannot be opened);
 * 3 a worker that stopped because its store stayed unavailable.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, type CommanderError, Option } from 'commander';
import type { AnySagaDefinition } from '../definition/defineSaga.js';
import type { Logger } from '../observability/logger.js';
import type { CliIo } from './cliIo.js';
import { ExitCode } from './cliIo.js';
import {
  integerAtLeast,
  jsonOption,
  LIST_STATUSES,
  type ListStatus,
  oneOf,
  parseJson,
  parseSince,
  SHOW_FORMATS,
  type ShowFormat,
  storeOption,
  withStore,
} from './cliOptions.js';
import { colorEnabled } from './colors.js';
import { loadSagaDefinitions } from './loadSagas.js';

// Each command's module is imported when the command runs: a usage error, `--help` or
// `--version` loads none of them, and `list` does not load the engine.

/** This package's version, from the package.json above this module (in src/ or dist/src/). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'sagaflow' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

/** The program with its global behaviour (`--version`, usage errors exit 2) and no commands. */
export function createProgram(): Command {
  return (
    new Command()
      .name('sagaflow')
      .description('Inspect, verify, replay and operate sagas stored in an event store.')
      .version(packageVersion(), '-V, --version', 'print the version')
      .showHelpAfterError()
      // Every usage error (unknown option, bad value, missing argument) exits 2; --help and --version 0.
      .exitOverride((error: CommanderError) => {
        process.exit(error.exitCode === 0 ? ExitCode.Ok : ExitCode.Error);
      })
  );
}

async function logger(level: string): Promise<Logger> {
  const { createPinoLogger } = await import('../observability/pinoLogger.js');
  return createPinoLogger({ level: process.env['SAGAFLOW_LOG_LEVEL'] ?? level }, process.stderr);
}

const list = (value: string, previous: ListStatus[] | undefined): ListStatus[] => [
  ...(previous ?? []),
  ...value.split(',').map((v) => oneOf(LIST_STATUSES)(v.trim())),
];

/** `list`, `show` (alias `timeline`), `replay`, `verify`, `diagram`: they open the store read-only and never create it. */
export function registerInspectCommands(program: Command, io: CliIo): void {
  program
    .command('list')
    .description('list sagas, oldest first, a page at a time')
    .addOption(storeOption())
    .addOption(jsonOption())
    .option('--status <status>', `only sagas with this status (${LIST_STATUSES.join(', ')}); comma-separated or repeated`, list)
    .option('--saga <name>', 'only sagas of this definition: name or name@version')
    .option('--since <time>', 'only sagas started since then: ISO-8601 (2026-12-01T10:00:00Z) or an age (30m, 2h, 7d)', (v) => parseSince(v))
    .option('--limit <n>', 'most sagas on a page', integerAtLeast(1), 100)
    .option('--cursor <cursor>', 'continue after the previous page (the cursor it printed)', integerAtLeast(0))
    .action((o: { store: string; json?: boolean; status?: ListStatus[]; saga?: string; since?: number; limit: number; cursor?: number }) =>
      withStore(o.store, { readOnly: true }, io, async (store) =>
        (await import('./listCommand.js')).listCommand(store, io, {
          limit: o.limit,
          ...(o.json ? { json: true } : {}),
          ...(o.status ? { status: o.status } : {}),
          ...(o.saga !== undefined ? { saga: o.saga } : {}),
          ...(o.since !== undefined ? { since: o.since } : {}),
          ...(o.cursor !== undefined ? { cursor: o.cursor } : {}),
        }),
      ),
    );

  program
    .command('show')
    .alias('timeline')
    .description("a saga's timeline: time, time since the previous event, step, attempt, classified errors, retries and delays, compensation, worker")
    .argument('<sagaId>', 'the saga id (its stream is saga-<sagaId>)')
    .addOption(storeOption())
    .addOption(jsonOption())
    .addOption(new Option('--format <format>', 'output format').choices(SHOW_FORMATS).default('text'))
    .option('--no-color', 'no colour even on a terminal (NO_COLOR=1 does the same)')
    .option('--no-children', "text format: do not follow the links to child sagas (by default each child's timeline follows, indented)")
    .action((sagaId: string, o: { store: string; json?: boolean; format: ShowFormat; color: boolean; children: boolean }) =>
      withStore(o.store, { readOnly: true }, io, async (store) =>
        (await import('./showCommand.js')).showCommand(store, sagaId, io, {
          format: o.json ? 'json' : o.format,
          color: o.color && colorEnabled(process.stdout.isTTY),
          children: o.children,
        }),
      ),
    );

  program
    .command('replay')
    .description('the state folded up to a revision, and the invariants it breaks (engine.replay)')
    .argument('<sagaId>', 'the saga id')
    .addOption(storeOption())
    .addOption(jsonOption())
    .option('--to <revision>', 'last revision to fold, inclusive (default: the whole stream)', integerAtLeast(0))
    .option('--sagas <module>', 'module exporting the definitions, to check attempts against their retry policies too')
    .action((sagaId: string, o: { store: string; json?: boolean; to?: number; sagas?: string }) =>
      withStore(o.store, { readOnly: true }, io, async (store) =>
        (await import('./replayCommand.js')).replayCommand(store, sagaId, io, {
          ...(o.to !== undefined ? { toRevision: o.to } : {}),
          ...(o.sagas ? { sagas: await loadSagaDefinitions(o.sagas) } : {}),
          ...(o.json ? { json: true } : {}),
        }),
      ),
    );

  program
    .command('verify')
    .description('check every saga stream (or one): each state valid, the last one able to continue; reports streams/s; exit 1 if any is broken')
    .argument('[sagaId]', 'only this saga')
    .addOption(storeOption())
    .addOption(jsonOption())
    .option('--sagas <module>', 'module exporting the definitions, to check attempts against their retry policies too')
    .action((sagaId: string | undefined, o: { store: string; json?: boolean; sagas?: string }) =>
      withStore(o.store, { readOnly: true }, io, async (store) =>
        (await import('./inspectCommands.js')).verifyCommand(
          store,
          sagaId,
          io,
          o.sagas ? await loadSagaDefinitions(o.sagas) : [],
          o.json ? { json: true } : {},
        ),
      ),
    );

  program
    .command('diagram')
    .description('a saga definition as a Mermaid flowchart (compensations as dashed back-edges)')
    .argument('<saga>', 'the saga name')
    .requiredOption('--sagas <module>', 'module exporting the definitions, e.g. ./sagas/index.ts')
    .option('--saga-version <n>', 'the definition version (default: the latest)', integerAtLeast(1))
    .addOption(new Option('--store <url>', 'not needed: the diagram comes from the definition').env('SAGAFLOW_STORE'))
    .addOption(jsonOption())
    .action(async (name: string, o: { sagas: string; sagaVersion?: number; json?: boolean }) => {
      let definitions: AnySagaDefinition[];
      try {
        definitions = await loadSagaDefinitions(o.sagas);
      } catch (error) {
        io.err(`sagaflow: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = ExitCode.Error;
        return;
      }
      const candidates = definitions.filter((d) => d.name === name && (o.sagaVersion === undefined || d.version === o.sagaVersion));
      const definition = candidates.sort((a, b) => b.version - a.version)[0];
      if (!definition) {
        io.err(
          `sagaflow: no saga ${name}${o.sagaVersion === undefined ? '' : `@${o.sagaVersion}`} in ${o.sagas}; it has ${definitions.map((d) => `${d.name}@${d.version}`).join(', ')}.`,
        );
        process.exitCode = ExitCode.Error;
        return;
      }
      const mermaid = (await import('./diagram.js')).sagaDiagram(definition);
      io.out(o.json ? JSON.stringify({ saga: definition.name, version: definition.version, mermaid }, null, 2) : mermaid);
    });
}

/** `start`, `cancel`, `resume`: they change sagas, so they open the store for writing. */
export function registerOperateCommands(program: Command, io: CliIo): void {
  program
    .command('start')
    .description('start a saga and run it here, following it live with a progress line until it ends (exit 1 unless it completes)')
    .argument('<saga>', 'the saga name (the latest version in --sagas)')
    .addOption(storeOption())
    .addOption(jsonOption())
    .requiredOption('--sagas <module>', 'module exporting the definitions, e.g. ./sagas/index.ts')
    .requiredOption('--input <json>', "the saga's input as JSON", parseJson)
    .option('--idempotency-key <key>', 'the same key with the same input returns the same saga')
    .option('--detach', 'only start it: workers (sagaflow worker) run it')
    .option('--timeout <ms>', 'stop following after this long (the saga goes on)', integerAtLeast(1))
    .action(
      (saga: string, o: { store: string; json?: boolean; sagas: string; input: unknown; idempotencyKey?: string; detach?: boolean; timeout?: number }) => {
        const stop = new AbortController();
        const onSignal = (): void => stop.abort();
        process.once('SIGINT', onSignal);
        const tty = process.stdout.isTTY === true;
        return withStore(o.store, { readOnly: false }, io, async (store) =>
          (await import('./startCommand.js')).startCommand(store, saga, io, {
            sagas: await loadSagaDefinitions(o.sagas),
            input: o.input,
            logger: await logger('error'),
            stop: stop.signal,
            ...(o.idempotencyKey !== undefined ? { idempotencyKey: o.idempotencyKey } : {}),
            ...(o.detach ? { detach: true } : {}),
            ...(o.timeout !== undefined ? { timeoutMs: o.timeout } : {}),
            ...(o.json ? { json: true } : {}),
            // A terminal gets one line rewritten in place; a pipe gets a line per change.
            ...(tty
              ? { progress: (line: string) => void process.stdout.write(`\r\u001b[2K${line}`), progressDone: () => void process.stdout.write('\n') }
              : {}),
          }),
        ).finally(() => process.off('SIGINT', onSignal));
      },
    );

  program
    .command('cancel')
    .description('cancel a running saga: it compensates what it did (exit 1 if it was not running)')
    .argument('<sagaId>', 'the saga id')
    .addOption(storeOption())
    .addOption(jsonOption())
    .requiredOption('--reason <text>', 'why: recorded in the stream')
    .option('--sagas <module>', 'run the compensation here with these definitions and wait for the end')
    .option('--timeout <ms>', 'with --sagas, how long to wait for the end', integerAtLeast(1), 60_000)
    .action((sagaId: string, o: { store: string; json?: boolean; reason: string; sagas?: string; timeout: number }) =>
      withStore(o.store, { readOnly: false }, io, async (store) =>
        (await import('./cancelCommand.js')).cancelCommand(store, sagaId, io, {
          reason: o.reason,
          timeoutMs: o.timeout,
          logger: await logger('error'),
          ...(o.sagas ? { sagas: await loadSagaDefinitions(o.sagas) } : {}),
          ...(o.json ? { json: true } : {}),
        }),
      ),
    );

  program
    .command('resume')
    .description('resume a parked saga (failed, needs attention) with a fresh compensation budget, and run it here (exit 1 if it was not parked)')
    .argument('<sagaId>', 'the parked saga')
    .addOption(storeOption())
    .addOption(jsonOption())
    .requiredOption('--sagas <module>', 'module exporting the saga definitions (`export const sagas = [...]`), e.g. ./sagas/index.ts')
    .option('--timeout <ms>', 'how long to wait for the saga to end', integerAtLeast(1), 60_000)
    .action((sagaId: string, o: { store: string; json?: boolean; sagas: string; timeout: number }) =>
      withStore(o.store, { readOnly: false }, io, async (store) =>
        (await import('./resumeCommand.js')).resumeCommand(
          store,
          sagaId,
          { sagas: await loadSagaDefinitions(o.sagas), logger: await logger('error'), timeoutMs: o.timeout, ...(o.json ? { json: true } : {}) },
          io,
        ),
      ),
    );
}

/** `worker`: runs sagas from the store until SIGTERM/SIGINT. */
export function registerWorkerCommand(program: Command, io: CliIo): void {
  program
    .command('worker')
    .description('run sagas from the store: resume unfinished ones whose lease ran out, then take whatever moves; SIGTERM stops it gracefully')
    .addOption(storeOption())
    .addOption(jsonOption())
    .requiredOption('--sagas <module>', 'module exporting the saga definitions (`export const sagas = [...]`)')
    .option('--concurrency <n>', 'sagas driven at once', integerAtLeast(1), 32)
    .option('--lease-ms <ms>', 'lease of a started attempt; others take it over after it runs out', integerAtLeast(1), 750)
    .option('--grace-ms <ms>', 'on SIGTERM, how long running attempts may take to finish before they are released', integerAtLeast(0), 10_000)
    .option('--worker-id <id>', 'name recorded in the events this worker appends (default: host/pid/random)')
    .action((o: { store: string; json?: boolean; sagas: string; concurrency: number; leaseMs: number; graceMs: number; workerId?: string }) => {
      // From the first moment: a SIGTERM while the store opens or sagas load still stops the worker.
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      return withStore(o.store, { readOnly: false }, io, async (store) => {
        const sagas = await loadSagaDefinitions(o.sagas);
        const { runWorker } = await import('./workerCommand.js');
        const exit = await runWorker(store, {
          sagas,
          logger: await logger('info'),
          concurrency: o.concurrency,
          leaseMs: o.leaseMs,
          graceMs: o.graceMs,
          stop: stop.signal,
          ...(o.workerId ? { workerId: o.workerId } : {}),
          onReady: (recovered) => io.out(o.json ? JSON.stringify({ ready: true, recovered }) : `worker ready: resumed ${recovered} unfinished saga(s)`),
        });
        if (exit === 'unhealthy') io.err("sagaflow: the store stayed unavailable past the engine's bound; exiting so that a supervisor restarts the worker");
        return exit === 'unhealthy' ? ExitCode.Unhealthy : ExitCode.Ok;
      }).finally(() => {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      });
    });
}
