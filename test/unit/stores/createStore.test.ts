import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { v7 } from 'uuid';
import { afterAll, describe, expect, it } from 'vitest';
import { DriverNotInstalledError, StoreUrlError } from '../../../src/core/errors.js';
import { createStore, parseStoreUrl, redactUrl } from '../../../src/stores/createStore.js';
import type { EventStore } from '../../../src/stores/eventStore.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-create-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake adapter module, recording what createStore passed to it. */
function fakeAdapters() {
  const calls: { specifier: string; connectionString?: string }[] = [];
  const fakeStore = { kind: 'fake' } as unknown as EventStore;
  const importAdapter = async (specifier: string) => ({
    createPostgresEventStore: (options: { connectionString: string }) => {
      calls.push({ specifier, ...options });
      return fakeStore;
    },
    createEsdbEventStore: async (options: { connectionString: string }) => {
      calls.push({ specifier, ...options });
      return fakeStore;
    },
  });
  return { calls, fakeStore, importAdapter };
}

async function urlError(url: string): Promise<StoreUrlError> {
  const error = await createStore(url).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StoreUrlError);
  return error as StoreUrlError;
}

describe('createStore', () => {
  it('memory: opens a fresh in-memory store each time', async () => {
    const a = await createStore('memory:');
    const b = await createStore('memory://');
    expect(a.kind).toBe('memory');
    await a.append(`saga-${v7()}`, [{ id: v7(), type: 'E', data: null }], 'no_stream');
    expect(await b.readAll()).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it('sqlite: opens a file from an absolute or a relative path, creating directories', async () => {
    const absolute = join(dir, 'abs', 'events.db');
    const store = await createStore(`sqlite:${absolute}`);
    expect(store.kind).toBe('sqlite');
    expect(existsSync(absolute)).toBe(true);
    await store.close();

    const target = join(dir, 'rel', 'events.db');
    const rel = `./${relative(process.cwd(), target)}`;
    const relStore = await createStore(`sqlite:${rel}`);
    expect(existsSync(target)).toBe(true);
    await relStore.close();
  });

  it('parses the sqlite URL forms', () => {
    expect(parseStoreUrl('sqlite:./.sagaflow/demo.db')).toEqual({ kind: 'sqlite', path: resolve('.sagaflow/demo.db') });
    expect(parseStoreUrl('sqlite:/var/lib/app.db')).toEqual({ kind: 'sqlite', path: '/var/lib/app.db' });
    expect(parseStoreUrl('sqlite:///var/lib/app.db')).toEqual({ kind: 'sqlite', path: '/var/lib/app.db' });
    expect(parseStoreUrl('SQLITE:data.db')).toEqual({ kind: 'sqlite', path: resolve('data.db') });
    expect(() => parseStoreUrl('sqlite:')).toThrow(StoreUrlError);
  });

  it('hands postgres:// and postgresql:// URLs to the PostgreSQL adapter, unchanged', async () => {
    const { calls, fakeStore, importAdapter } = fakeAdapters();
    for (const url of ['postgres://u:p@localhost:5432/db', 'postgresql://localhost/db?sslmode=disable']) {
      expect(await createStore(url, { importAdapter })).toBe(fakeStore);
    }
    expect(calls).toEqual([
      { specifier: './postgres/index.js', connectionString: 'postgres://u:p@localhost:5432/db' },
      { specifier: './postgres/index.js', connectionString: 'postgresql://localhost/db?sslmode=disable' },
    ]);
  });

  it('hands esdb, esdb+discover and kurrentdb URLs to the EventStoreDB adapter, unchanged', async () => {
    const { calls, importAdapter } = fakeAdapters();
    const urls = [
      'esdb://localhost:2113?tls=false',
      'esdb+discover://a:2113,b:2113',
      'kurrentdb://admin:changeit@localhost:2113',
      'kurrentdb+discover://cluster.local:2113',
    ];
    for (const url of urls) await createStore(url, { importAdapter });
    expect(calls).toEqual(urls.map((connectionString) => ({ specifier: './esdb/index.js', connectionString })));
  });

  it('rejects unknown schemes listing the supported ones, without echoing the URL', async () => {
    const error = await urlError('mysql://root:hunter2@db/app');
    expect(error.message).toContain('"mysql:"');
    for (const scheme of ['memory:', 'sqlite:<path>', 'postgres://', 'postgresql://', 'esdb://', 'esdb+discover://', 'kurrentdb://']) {
      expect(error.message).toContain(scheme);
    }
    expect(error.message).not.toContain('hunter2');
    expect(JSON.stringify(error.details)).not.toContain('hunter2');
    await urlError('');
    await urlError('just-a-path.db');
    await urlError('memory:named');
  });

  it('never puts a password in an error message', async () => {
    const failing = async () => {
      throw new Error('module not found');
    };
    const loadError: unknown = await createStore('postgres://user:s3cr%40t@host/db', { importAdapter: failing }).catch((e: unknown) => e);
    expect(loadError).toBeInstanceOf(StoreUrlError);
    expect((loadError as StoreUrlError).message).not.toContain('s3cr');
    const malformed = await urlError('postgres://user:hunter2@[bad/db');
    expect(malformed.message).not.toContain('hunter2');
    const esdb = await urlError('esdb:user:hunter2@host');
    expect(esdb.message).not.toContain('hunter2');
  });

  it('names the package to install when the PostgreSQL adapter cannot load pg', async () => {
    // What Node throws when `import pg from 'pg'` in the adapter finds no package.
    const missingPg = async () => {
      throw Object.assign(new Error("Cannot find package 'pg' imported from /app/node_modules/sagaflow/dist/src/stores/postgres/postgresEventStore.js"), {
        code: 'ERR_MODULE_NOT_FOUND',
      });
    };
    const error: unknown = await createStore('postgres://user:hunter2@host/db', { importAdapter: missingPg }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DriverNotInstalledError);
    expect(error).toMatchObject({ code: 'DRIVER_NOT_INSTALLED', packageName: 'pg', details: { package: 'pg', store: 'PostgreSQL' } });
    expect((error as Error).message).toContain('npm install pg');
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('lets a DriverNotInstalledError from an adapter through unchanged, and wraps other missing modules in StoreUrlError', async () => {
    const thrown = new DriverNotInstalledError('@eventstore/db-client', 'EventStoreDB');
    const rethrow = async () => {
      throw thrown;
    };
    expect(await createStore('esdb://localhost:2113?tls=false', { importAdapter: rethrow }).catch((e: unknown) => e)).toBe(thrown);
    // A missing file of the adapter itself is a broken install, not a driver to add.
    const missingFile = async () => {
      throw Object.assign(new Error("Cannot find module '/app/dist/src/stores/postgres/index.js'"), { code: 'ERR_MODULE_NOT_FOUND' });
    };
    expect(await createStore('postgres://host/db', { importAdapter: missingFile }).catch((e: unknown) => e)).toBeInstanceOf(StoreUrlError);
  });

  it('redacts passwords in URLs, including unescaped / and @ and password= parameters', () => {
    expect(redactUrl('postgres://u:p@h:5432/db')).toBe('postgres://u:***@h:5432/db');
    expect(redactUrl('postgres://u:pa/ss@w@rd@h/db')).toBe('postgres://u:***@h/db');
    expect(redactUrl('postgres://h/db?user=u&password=secret&x=1')).toBe('postgres://h/db?user=u&password=***&x=1');
    expect(redactUrl('esdb+discover://admin:changeit@a:2113,b:2113?tls=false')).toBe('esdb+discover://admin:***@a:2113,b:2113?tls=false');
    expect(redactUrl('postgres://u@h:5432/db')).toBe('postgres://u@h:5432/db');
    expect(redactUrl('postgres://h:5432/db')).toBe('postgres://h:5432/db');
  });
});
