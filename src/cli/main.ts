#!/usr/bin/env node
/**
 * The `sagaflow` command line: inspect, verify and resume sagas in any store a URL names.
 *   sagaflow list --store <url>
 *   sagaflow timeline <sagaId> --store <url>
 *   sagaflow verify [sagaId] --store <url> [--sagas <module>]
 *   sagaflow resume <sagaId> --store <url> --sagas <module>
 *   sagaflow worker --store <url> --sagas <module> [--concurrency n] [--lease-ms ms] [--grace-ms ms]
 * Exit codes: 0 ok, 1 a broken invariant (verify) or a saga parked again (resume), 2 an error.
 */
import { Command, type CommanderError, Option } from 'commander';
import { errorInfo } from '../core/classify.js';
import { createPinoLogger } from '../observability/pinoLogger.js';
import { createStore, redactUrl, SUPPORTED_STORE_URLS } from '../stores/createStore.js';
import type { EventStore } from '../stores/eventStore.js';
import { ExitCode, processIo } from './cliIo.js';
import { listCommand, timelineCommand, verifyCommand } from './inspectCommands.js';
import { loadSagaDefinitions } from './loadSagas.js';
import { withConfiguredCodec } from './codecOption.js';
import { resumeCommand } from './resumeCommand.js';
import { runWorker } from './workerCommand.js';

const io = processIo;

// `sagaflow list | head` closes our stdout early: that is the reader's choice, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitCode.Ok);
  throw error;
});

function storeOption(): Option {
  return new Option('--store <url>', `the event store (${SUPPORTED_STORE_URLS.join(', ')})`).env('SAGAFLOW_STORE').makeOptionMandatory();
}

/** Opens the store, runs the command, closes the store, and sets the exit code. */
async function withStore(url: string, command: (store: EventStore) => Promise<ExitCode>): Promise<void> {
  let store: EventStore | undefined;
  try {
    store = await createStore(url);
    // SAGAFLOW_CODEC: read (and write) the payloads with the engines' codec.
    store = await withConfiguredCodec(store);
    process.exitCode = await command(store);
  } catch (error) {
    const info = errorInfo(error);
    // The URL may hold a password: store errors never show it, and we show it redacted.
    const where = info.code.startsWith('STORE_') ? ` (store ${redactUrl(url)})` : '';
    io.err(`sagaflow: ${info.code === 'ERROR' ? '' : `${info.code}: `}${info.message}${where}`);
    process.exitCode = ExitCode.Error;
  } finally {
    await store?.close().catch(() => {});
  }
}

const program = new Command()
  .name('sagaflow')
  .description('Inspect, verify and resume sagas stored in an event store.')
  .showHelpAfterError()
  // Usage errors share the "error" exit code with every other failure to run.
  .exitOverride((error: CommanderError) => {
    process.exit(error.exitCode === 0 ? 0 : ExitCode.Error);
  });

program
  .command('list')
  .description('list every saga with its status, oldest first')
  .addOption(storeOption())
  .action((options: { store: string }) => withStore(options.store, (store) => listCommand(store, io)));

program
  .command('timeline')
  .description("print a saga's events: time, step, attempt, durations, retry delays, compensation plan")
  .argument('<sagaId>', 'the saga id (its stream is saga-<sagaId>)')
  .addOption(storeOption())
  .action((sagaId: string, options: { store: string }) => withStore(options.store, (store) => timelineCommand(store, sagaId, io)));

program
  .command('verify')
  .description('fold every saga stream (or one) and check the invariants of every state along it; exit 1 if any is broken')
  .argument('[sagaId]', 'only this saga')
  .addOption(storeOption())
  .option('--sagas <module>', 'module exporting the definitions, to check attempts against their retry policies too')
  .action((sagaId: string | undefined, options: { store: string; sagas?: string }) =>
    withStore(options.store, async (store) => verifyCommand(store, sagaId, io, options.sagas ? await loadSagaDefinitions(options.sagas) : [])),
  );

program
  .command('resume')
  .description('resume a parked saga (failed, needs attention) with a fresh compensation budget, and run it here')
  .argument('<sagaId>', 'the parked saga')
  .addOption(storeOption())
  .requiredOption('--sagas <module>', 'module exporting the saga definitions (`export const sagas = [...]`), e.g. ./sagas/index.ts')
  .option('--timeout <ms>', 'how long to wait for the saga to end', (v) => Number.parseInt(v, 10), 60_000)
  .action((sagaId: string, options: { store: string; sagas: string; timeout: number }) =>
    withStore(options.store, async (store) => {
      const sagas = await loadSagaDefinitions(options.sagas);
      const logger = createPinoLogger({ level: process.env['SAGAFLOW_LOG_LEVEL'] ?? 'error' }, process.stderr);
      return resumeCommand(store, sagaId, { sagas, logger, timeoutMs: options.timeout }, io);
    }),
  );

const int = (v: string): number => Number.parseInt(v, 10);
program
  .command('worker')
  .description('run sagas from the store: resume unfinished ones whose lease ran out, then take whatever moves; SIGTERM stops it gracefully')
  .addOption(storeOption())
  .requiredOption('--sagas <module>', 'module exporting the saga definitions (`export const sagas = [...]`)')
  .option('--concurrency <n>', 'sagas driven at once', int, 32)
  .option('--lease-ms <ms>', 'lease of a started attempt; others take it over after it runs out', int, 750)
  .option('--grace-ms <ms>', 'on SIGTERM, how long running attempts may take to finish before they are released', int, 10_000)
  .option('--worker-id <id>', 'name recorded in the events this worker appends (default: host/pid/random)')
  .action((options: { store: string; sagas: string; concurrency: number; leaseMs: number; graceMs: number; workerId?: string }) => {
    // From the first moment: a SIGTERM while the store opens or sagas load still stops the worker.
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    return withStore(options.store, async (store) => {
      const sagas = await loadSagaDefinitions(options.sagas);
      const logger = createPinoLogger({ level: process.env['SAGAFLOW_LOG_LEVEL'] ?? 'info' }, process.stderr);
      const exit = await runWorker(store, {
        sagas,
        logger,
        concurrency: options.concurrency,
        leaseMs: options.leaseMs,
        graceMs: options.graceMs,
        stop: stop.signal,
        ...(options.workerId ? { workerId: options.workerId } : {}),
        onReady: (recovered) => io.out(`worker ready: resumed ${recovered} unfinished saga(s)`),
      });
      if (exit === 'unhealthy') io.err("sagaflow: the store stayed unavailable past the engine's bound; exiting so that a supervisor restarts the worker");
      return exit === 'unhealthy' ? ExitCode.Unhealthy : ExitCode.Ok;
    }).finally(() => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    });
  });

await program.parseAsync(process.argv);
