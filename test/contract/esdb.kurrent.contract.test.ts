/**
 * The event-store contract against the EventStoreDB adapter with the successor client,
 * `@kurrent/kurrentdb-client` 1.x (selected by `kurrentdb://`), over real gRPC: against the
 * in-process protocol fixture on both append paths (always), and against a real server when
 * ESDB_CONNECTION_STRING is set. Its own file: the two client packages cannot share a process
 * (see src/stores/esdb/clientApi.ts), and esdb.contract.test.ts runs 6.x.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { createEsdbEventStore } from '../../src/stores/esdb/index.js';
import { startEsdbProtocolServer, type EsdbProtocolServer } from '../../src/testing/esdb/index.js';
import { describeEventStoreContract } from '../../src/testing/eventStoreContract.js';

// The large case once, smaller than the default: the fixture is a test double, the paging logic is what it checks.
const paths = [
  { name: 'BatchAppend path', forceAppendPath: false, rpc: 'batchAppend', large: true },
  { name: 'forced Append path', forceAppendPath: true, rpc: 'append', large: false },
] as const;

for (const path of paths) {
  describe(`EventStoreDB protocol fixture, kurrentdb client, ${path.name}`, () => {
    let server: EsdbProtocolServer | undefined;
    beforeAll(async () => {
      server = await startEsdbProtocolServer();
    });
    afterAll(async () => {
      // Every append went through the RPC this run is about.
      const other = path.rpc === 'append' ? 'batchAppend' : 'append';
      expect(server!.appendsServed[path.rpc]).toBeGreaterThan(0);
      expect(server!.appendsServed[other]).toBe(0);
      await server?.close();
    });
    describeEventStoreContract(
      `esdb (fixture, kurrentdb client, ${path.name})`,
      () => createEsdbEventStore({ connectionString: `kurrentdb://127.0.0.1:${server!.port}?tls=false`, forceAppendPath: path.forceAppendPath }),
      { large: path.large, largeEventCount: 20_000 },
    );
  });
}

const realServer = process.env.ESDB_CONNECTION_STRING;
if (realServer !== undefined && realServer !== '') {
  describeEventStoreContract(
    'esdb (real server from ESDB_CONNECTION_STRING, kurrentdb client)',
    () => createEsdbEventStore({ connectionString: realServer, client: 'kurrentdb' }),
    {
      large: true,
    },
  );
}
