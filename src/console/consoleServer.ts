/**
 * Starts the console: a Hono app on Node's HTTP server, bound to 127.0.0.1 unless told
 * otherwise, with an operator token for the operations that change something.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import type { AnySagaDefinition } from '../definition/defineSaga.js';
import type { Logger } from '../observability/logger.js';
import { createEngine } from '../runtime/engine.js';
import type { EventStore } from '../stores/eventStore.js';
import { createConsoleApp } from './consoleApp.js';
import { SagaDirectory } from './sagaDirectory.js';

/** Options of {@link startConsole}. */
export interface ConsoleOptions {
  /** The store to show; the console does not close it (its owner does). */
  store: EventStore;
  /** How the page names the store (pass the URL without its password). @default the store's kind */
  storeLabel?: string;
  /**
   * Definitions of the store's sagas. With them, a saga resumed from the console runs in the
   * console's process, and verify checks attempts against policies and answers canContinue.
   * Without them, resume and cancel only record the fact; a worker on the store acts on it.
   * @default []
   */
  sagas?: readonly AnySagaDefinition[];
  /** The address to listen on. Anything but a loopback address exposes the read-only pages to the network. @default '127.0.0.1' */
  host?: string;
  /** The port; 0 picks a free one. @default 0 */
  port?: number;
  /** The operator token for resume and cancel (16+ characters of [A-Za-z0-9._~+/-]). @default 32 random bytes, base64url */
  token?: string;
  /** Where the engine logs. @default silent */
  logger?: Logger;
  /** Told when the store's subscription stops and is taken up again. @default ignore */
  onProblem?: (message: string) => void;
}

/** A running console. */
export interface ConsoleHandle {
  /** Where it listens, e.g. `http://127.0.0.1:43123/`. */
  url: string;
  /** The operator token resume and cancel require. */
  token: string;
  /** The port it listens on. */
  port: number;
  /** Stops listening, drops open connections (the live-update streams) and stops following the store. */
  close(): Promise<void>;
}

/** What an operator token may be made of: the characters of RFC 6750's b64token, at least 16. */
export const CONSOLE_TOKEN_PATTERN = /^[A-Za-z0-9._~+/-]{16,}=*$/;

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts the console and resolves once it listens.
 *
 * @throws `TypeError` for a token that does not match {@link CONSOLE_TOKEN_PATTERN}.
 * @throws the server's error (e.g. `EADDRINUSE`) when it cannot listen.
 */
export async function startConsole(options: ConsoleOptions): Promise<ConsoleHandle> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  if (!CONSOLE_TOKEN_PATTERN.test(token)) throw new TypeError('The console token must be at least 16 characters of A-Z a-z 0-9 . _ ~ + / - (then optional =).');
  const host = options.host ?? '127.0.0.1';
  const sagas = options.sagas ?? [];
  // A client engine unless it has definitions: then a resumed saga runs here, as `sagaflow resume` does.
  const engine = await createEngine({
    store: options.store,
    sagas,
    runSagas: sagas.length > 0,
    resumeUnfinished: false,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const directory = new SagaDirectory(options.store, options.onProblem);
  const allowedHosts = new Set<string>();
  const app = createConsoleApp({
    store: options.store,
    engine,
    directory,
    token,
    storeLabel: options.storeLabel ?? options.store.kind,
    models: sagas,
    // Filled in once the port is known; loopback only, so a rebinding DNS name cannot read the pages.
    ...(isLoopback(host) ? { allowedHosts } : {}),
  });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await directory.close();
    await engine.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  for (const name of ['127.0.0.1', 'localhost', '[::1]', urlHost(host)]) allowedHosts.add(`${name}:${port}`);
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost(host)}:${port}/`,
    token,
    port,
    close: () => {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Live-update streams never end by themselves: drop them so that close() returns.
        server.closeAllConnections();
        await closed;
        await directory.close();
        await engine.close();
      })();
      return closing;
    },
  };
}
