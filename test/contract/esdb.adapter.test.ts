/** The adapter cases (esdbAdapterCases.ts) with `@eventstore/db-client` 6.x, and its choice by URL scheme. */
import { describe, expect, it } from 'vitest';
import { StoreUrlError } from '../../src/core/errors.js';
import { createEsdbEventStore } from '../../src/stores/esdb/index.js';
import { startEsdbProtocolServer } from '../../src/testing/esdb/index.js';
import { esdbAdapterCases } from './esdbAdapterCases.js';
import { positionZeroCases } from './esdbPositionZeroCases.js';

esdbAdapterCases('eventstore');
positionZeroCases('eventstore');

describe('choosing the 6.x client', () => {
  it('uses it for esdb:// and refuses kurrentdb:// (the successor) in the same process: their protobuf code would collide', async () => {
    const server = await startEsdbProtocolServer();
    try {
      const store = await createEsdbEventStore({ connectionString: server.connectionString });
      await store.close();
      const error = await createEsdbEventStore({ connectionString: `kurrentdb://127.0.0.1:${server.port}?tls=false` }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUrlError);
      expect((error as Error).message).toContain('already loaded the eventstore client');
    } finally {
      await server.close();
    }
  });
});
