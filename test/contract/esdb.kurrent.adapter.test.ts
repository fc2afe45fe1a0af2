/**
 * The adapter cases (esdbAdapterCases.ts) with `@kurrent/kurrentdb-client` 1.x, and how the
 * client is chosen: by the URL scheme unless the `client` option says, one package per process.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StoreUrlError } from '../../src/core/errors.js';
import { createEsdbEventStore } from '../../src/stores/esdb/index.js';
import { startEsdbProtocolServer, type EsdbProtocolServer } from '../../src/testing/esdb/index.js';
import { esdbAdapterCases } from './esdbAdapterCases.js';
import { positionZeroCases } from './esdbPositionZeroCases.js';

esdbAdapterCases('kurrentdb');
positionZeroCases('kurrentdb');

describe('choosing the kurrentdb client', () => {
  let server: EsdbProtocolServer;
  beforeAll(async () => {
    server = await startEsdbProtocolServer();
  });
  afterAll(async () => server.close());

  it("uses it for kurrentdb:// and kurrentdb+discover://, and for esdb:// with client: 'kurrentdb' (without the client's deprecation warning)", async () => {
    const warn = vi.spyOn(console, 'warn');
    try {
      for (const options of [
        { connectionString: `kurrentdb://127.0.0.1:${server.port}?tls=false` },
        { connectionString: `kurrentdb+discover://127.0.0.1:${server.port}?tls=false` },
        { connectionString: server.connectionString, client: 'kurrentdb' as const },
      ]) {
        const store = await createEsdbEventStore(options);
        try {
          expect((await store.readAll({ streamPrefix: 'nothing-' })).length).toBe(0);
        } finally {
          await store.close();
        }
      }
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('refuses the 6.x client (esdb:// selects it) in a process that loaded the kurrentdb client: their protobuf code would collide', async () => {
    const error = await createEsdbEventStore({ connectionString: server.connectionString }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUrlError);
    expect((error as Error).message).toContain('already loaded the kurrentdb client');
  });
});
