/**
 * `sagaflow ui --store <url>`: the local web console (src/console/). Binds 127.0.0.1 unless
 * `--host` says otherwise, prints its URL and the operator token once, and stops cleanly on
 * Ctrl-C or SIGTERM.
 */
import { existsSync } from 'node:fs';
import { Command, type CommanderError, InvalidArgumentError, Option } from 'commander';
import { errorInfo } from '../core/classify.js';
import { CONSOLE_TOKEN_PATTERN, startConsole } from '../console/consoleServer.js';
import { createPinoLogger } from '../observability/pinoLogger.js';
import { createStore, parseStoreUrl, redactUrl, SUPPORTED_STORE_URLS } from '../stores/createStore.js';
import type { EventStore } from '../stores/eventStore.js';
import type { CliIo } from './cliIo.js';
import { ExitCode, processIo } from './cliIo.js';
import { withConfiguredCodec } from './codecOption.js';
import { loadSagaDefinitions } from './loadSagas.js';

/** The console's port when `--port` is not given. */
export const DEFAULT_CONSOLE_PORT = 7355;

/** Usage errors exit 2, as every sagaflow command's do. */
const USAGE_EXIT = 2;

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535) throw new InvalidArgumentError('a port is an integer from 0 to 65535 (0 picks a free one).');
  return n;
}

function token(value: string): string {
  if (!CONSOLE_TOKEN_PATTERN.test(value)) throw new InvalidArgumentError('a token is at least 16 characters of A-Z a-z 0-9 . _ ~ + / - (then optional =).');
  return value;
}

/** Options of the `ui` command as commander parses them. */
interface UiOptions {
  store: string;
  host: string;
  port: number;
  token?: string;
  sagas?: string;
}

/** Refuses a SQLite URL whose file does not exist: a typo must not show an empty store. */
function missingStore(url: string): string | undefined {
  const parsed = parseStoreUrl(url);
  if (parsed.kind !== 'sqlite' || existsSync(parsed.path)) return undefined;
  return `No SQLite store at ${parsed.path}: check the path (\`npm start\` writes the demo's to ./.sagaflow/demo.db).`;
}

/** Runs the console until SIGINT or SIGTERM; resolves with the exit code. */
async function runUi(options: UiOptions, io: CliIo): Promise<ExitCode> {
  let onSignal = (): void => {};
  // From the first moment: a signal while the store opens still stops the console.
  const stopped = new Promise<void>((resolve) => {
    onSignal = resolve;
  });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let store: EventStore | undefined;
  try {
    const missing = missingStore(options.store);
    if (missing) {
      io.err(`sagaflow: ${missing}`);
      return ExitCode.Error;
    }
    const sagas = options.sagas ? await loadSagaDefinitions(options.sagas) : [];
    // SAGAFLOW_CODEC: the console reads the payloads with the engines' codec.
    store = await withConfiguredCodec(await createStore(options.store));
    const logger = createPinoLogger({ level: process.env['SAGAFLOW_LOG_LEVEL'] ?? 'error' }, process.stderr);
    const console = await startConsole({
      store,
      storeLabel: redactUrl(options.store),
      sagas,
      host: options.host,
      port: options.port,
      logger,
      onProblem: (message) => io.err(`sagaflow ui: ${message}`),
      ...(options.token ? { token: options.token } : {}),
    });
    io.out(`sagaflow console: ${console.url} (store ${redactUrl(options.store)})`);
    if (options.token) io.out('operator token for resume and cancel: the one given with --token');
    else {
      io.out(`operator token for resume and cancel: ${console.token}`);
      io.out(`open ${console.url}#token=<token> to act from your browser, or paste the token into the page; reading needs none.`);
    }
    if (sagas.length > 0) io.out(`resumed sagas run here, with ${sagas.map((s) => `${s.name}@${s.version}`).join(', ')}`);
    if (!['127.0.0.1', 'localhost', '::1'].includes(options.host)) {
      io.err(`sagaflow ui: listening on ${options.host}: anyone who can reach it can read every saga; the token guards resume and cancel only.`);
    }
    io.out('Ctrl-C stops the console.');
    await stopped;
    await console.close();
    io.out('console stopped');
    return ExitCode.Ok;
  } catch (error) {
    const info = errorInfo(error);
    const where = info.code.startsWith('STORE_') ? ` (store ${redactUrl(options.store)})` : '';
    io.err(`sagaflow: ${info.code === 'ERROR' ? '' : `${info.code}: `}${info.message}${where}`);
    return ExitCode.Error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await store?.close().catch(() => {});
  }
}

/** The `ui` command, for `program.addCommand(...)`. */
export function createUiCommand(io: CliIo = processIo): Command {
  return new Command('ui')
    .description(
      'open the local web console: sagas with live updates, timelines with the state at any revision, verify, parked sagas (resume, cancel with a token)',
    )
    .addOption(new Option('--store <url>', `the event store (${SUPPORTED_STORE_URLS.join(', ')})`).env('SAGAFLOW_STORE').makeOptionMandatory())
    .option('--host <address>', 'the address to listen on; anything but loopback exposes the read-only pages', '127.0.0.1')
    .option('--port <n>', 'the port; 0 picks a free one', port, DEFAULT_CONSOLE_PORT)
    .addOption(
      new Option('--token <token>', 'the operator token for resume and cancel (default: a random one, printed)').env('SAGAFLOW_CONSOLE_TOKEN').argParser(token),
    )
    .option('--sagas <module>', 'module exporting the saga definitions: resumed sagas then run in the console, and verify answers canContinue')
    .showHelpAfterError()
    .exitOverride((error: CommanderError) => {
      process.exit(error.exitCode === 0 ? 0 : USAGE_EXIT);
    })
    .action(async (options: UiOptions) => {
      process.exitCode = await runUi(options, io);
    });
}
