/**
 * One entry point from a URL to a store, for the CLI and for configuration files. Adapters
 * are loaded on demand, so that `memory:` never loads a database driver and `sqlite:` never
 * loads `pg` or `@eventstore/db-client`.
 */
import { DriverNotInstalledError, ErrorCode, isSagaError, StoreNotFoundError, StoreUrlError } from '../core/errors.js';
import type { EventStore } from './eventStore.js';
import { createInMemoryEventStore } from './inMemory/index.js';
import { isMissingPackage } from './optionalDriver.js';
import { parseStoreUrl } from './storeUrl.js';

export { parseStoreUrl, redactUrl, SUPPORTED_STORE_URLS, type StoreUrl } from './storeUrl.js';

/** What the on-demand adapter modules must export (the real modules satisfy it structurally). */
interface PostgresModule {
  createPostgresEventStore(options: { connectionString: string; migrate?: boolean }): EventStore | Promise<EventStore>;
}
interface EsdbModule {
  createEsdbEventStore(options: { connectionString: string }): EventStore | Promise<EventStore>;
}

/** Options of {@link createStore}. */
export interface CreateStoreOptions {
  /**
   * Loads an adapter module by its specifier ('./postgres/index.js', './esdb/index.js').
   * A seam for tests and bundlers. @default dynamic `import()` relative to this module
   */
  importAdapter?: (specifier: string) => Promise<unknown>;
  /**
   * For inspection (the CLI's `list`, `show`, `replay`, `verify`): never create or migrate
   * anything. SQLite opens the file read-only and refuses a missing file (StoreNotFoundError,
   * `STORE_NOT_FOUND`); PostgreSQL skips the migration and refuses a schema that was never
   * migrated (StoreUnavailableError). @default false
   */
  readOnly?: boolean;
}

/**
 * Each adapter, with the optional packages its module imports statically (so a missing one fails
 * the adapter's own import). The EventStoreDB adapter imports its client only when a store is
 * created, and reports a missing one itself.
 */
const ADAPTERS = {
  postgres: { specifier: './postgres/index.js', label: 'PostgreSQL', drivers: ['pg'] },
  esdb: { specifier: './esdb/index.js', label: 'EventStoreDB', drivers: [] },
} as const satisfies Record<string, Adapter>;

interface Adapter {
  specifier: string;
  label: string;
  drivers: readonly string[];
}

/**
 * Opens the store a URL names:
 * - `memory:` — a new, empty in-memory store;
 * - `sqlite:<path>` — a SQLite file (relative to the working directory or absolute; created
 *   with its directories if missing), e.g. `sqlite:./.sagaflow/demo.db`;
 * - `postgres://…` / `postgresql://…` — PostgreSQL, via the `pg` adapter;
 * - `esdb://…` / `esdb+discover://…` / `kurrentdb://…` / `kurrentdb+discover://…` — EventStoreDB/KurrentDB.
 *
 * Error messages never contain the URL's password.
 *
 * @throws {@link StoreUrlError} (`STORE_URL_INVALID`) for an unknown scheme or a malformed URL.
 * @throws {@link DriverNotInstalledError} (`DRIVER_NOT_INSTALLED`; `details.package` names it) when
 *   the store's optional driver (`pg`, `@eventstore/db-client`, `@kurrent/kurrentdb-client`, or
 *   the gRPC packages under them) is not installed.
 * @throws {@link StoreUnavailableError} (`STORE_UNAVAILABLE`) when the store cannot be opened or reached.
 */
export async function createStore(url: string, options: CreateStoreOptions = {}): Promise<EventStore> {
  const parsed = parseStoreUrl(url);
  // A variable specifier keeps tsc and bundlers from requiring the optional adapters up front.
  const load = options.importAdapter ?? ((specifier: string) => import(specifier) as Promise<unknown>);
  switch (parsed.kind) {
    case 'memory':
      // A new process's memory store is always empty: there is nothing to inspect.
      if (options.readOnly) throw new StoreNotFoundError('A memory: store exists only inside the process that created it: there is nothing to inspect here.');
      return createInMemoryEventStore();
    case 'sqlite': {
      // Loaded on demand like the others: importing createStore must not load a native driver.
      const { createSqliteEventStore } = await import('./sqlite/index.js');
      return createSqliteEventStore({ path: parsed.path, ...(options.readOnly ? { readOnly: true } : {}) });
    }
    case 'postgres': {
      const module = (await loadAdapter(load, ADAPTERS.postgres)) as PostgresModule;
      return module.createPostgresEventStore({ connectionString: parsed.connectionString, ...(options.readOnly ? { migrate: false } : {}) });
    }
    case 'esdb': {
      const module = (await loadAdapter(load, ADAPTERS.esdb)) as EsdbModule;
      return module.createEsdbEventStore({ connectionString: parsed.connectionString });
    }
  }
}

/** Loads an adapter module; the URL is left out of the error on purpose (it may hold a password). */
async function loadAdapter(load: (specifier: string) => Promise<unknown>, adapter: Adapter): Promise<unknown> {
  try {
    return await load(adapter.specifier);
  } catch (error) {
    // Already names the package to install (an adapter that loads its driver itself).
    if (isSagaError(error) && error.code === ErrorCode.DriverNotInstalled) throw error;
    const missing = adapter.drivers.find((driver) => isMissingPackage(error, driver));
    if (missing !== undefined) throw new DriverNotInstalledError(missing, adapter.label, { cause: error });
    throw new StoreUrlError(`Cannot load the ${adapter.label} store adapter (${adapter.specifier}): ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
      details: { adapter: adapter.specifier },
    });
  }
}
