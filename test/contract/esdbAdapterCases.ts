/**
 * The EventStoreDB adapter over real gRPC against the protocol fixture, for one client
 * package: the parts of the mapping the contract suite cannot see (which RPC carried an
 * append, positions missing from idempotent results, system events in `$all`, positions that
 * are not events', URL and connection errors). esdb.adapter.test.ts runs them with
 * `@eventstore/db-client`, esdb.kurrent.adapter.test.ts with `@kurrent/kurrentdb-client`: one
 * client per test file, because the two packages cannot share a process (clientApi.ts).
 */
import { createServer } from 'node:net';
import { v7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorruptedEventError, PayloadTooLargeError, StoreUnavailableError, StoreUrlError, StreamVersionConflictError } from '../../src/core/errors.js';
import type { EventStore, NewEvent } from '../../src/stores/eventStore.js';
import { createEsdbEventStore, type EsdbEventStoreOptions } from '../../src/stores/esdb/index.js';
import { startEsdbProtocolServer, type EsdbProtocolServer, type EsdbProtocolServerOptions } from '../../src/testing/esdb/index.js';

const event = (type = 'TestEvent', data: NewEvent['data'] = {}): NewEvent => ({ id: v7(), type, data });
const events = (n: number): NewEvent[] => Array.from({ length: n }, (_, i) => event('TestEvent', { i }));
const stream = (): string => `saga-${v7()}`;

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function esdbAdapterCases(client: 'eventstore' | 'kurrentdb'): void {
  const create = (options: EsdbEventStoreOptions): Promise<EventStore> => createEsdbEventStore({ ...options, client });

  async function startPair(serverOptions: EsdbProtocolServerOptions = {}, storeOptions: Partial<EsdbEventStoreOptions> = {}) {
    const server = await startEsdbProtocolServer(serverOptions);
    const store = await create({ connectionString: server.connectionString, ...storeOptions });
    return { server, store };
  }

  const paths = [
    { name: 'BatchAppend', server: {}, store: {}, rpc: 'batchAppend' },
    { name: 'Append, server without BatchAppend', server: { batchAppend: false }, store: {}, rpc: 'append' },
    { name: 'Append, forceAppendPath', server: {}, store: { forceAppendPath: true }, rpc: 'append' },
  ] as const;

  describe.each(paths)('append over $name', (path) => {
    let server: EsdbProtocolServer;
    let store: EventStore;
    beforeAll(async () => ({ server, store } = await startPair(path.server, path.store)));
    afterAll(async () => {
      await store.close();
      await server.close();
    });

    it('appends, reads back, and maps a wrong expected version to StreamVersionConflictError', async () => {
      const id = stream();
      const before = { ...server.appendsServed };
      const result = await store.append(id, events(2), 'no_stream');
      expect(server.appendsServed[path.rpc]).toBe(before[path.rpc] + 1);
      expect(server.appendsServed[path.rpc === 'append' ? 'batchAppend' : 'append']).toBe(before[path.rpc === 'append' ? 'batchAppend' : 'append']);
      const read = await store.readStream(id);
      expect(result).toEqual({ nextRevision: 1, position: read[1]!.position });

      const conflict = await store.append(id, [event()], 0).catch((error: unknown) => error);
      expect(conflict).toBeInstanceOf(StreamVersionConflictError);
      expect((conflict as StreamVersionConflictError).details).toEqual({ streamId: id, expected: 0, actual: 1 });
      expect((conflict as Error).message).toContain(`${id} expected revision 0, but the stream is at revision 1`);
      const missing = await store.append(stream(), [event()], 3).catch((error: unknown) => error);
      expect((missing as StreamVersionConflictError).details).toMatchObject({ expected: 3, actual: 'no_stream' });
    });

    it('answers a re-append with the original result, reading the position the server leaves out', async () => {
      const id = stream();
      const batch = events(3);
      const first = await store.append(id, batch, 'no_stream');
      const again = await store.append(id, batch, 'no_stream');
      expect(again).toEqual(first);
      expect(await store.readStream(id)).toHaveLength(3);
    });

    it('retries appends cut off by a dropped connection, storing every event exactly once', async () => {
      const streams = Array.from({ length: 20 }, () => ({ id: stream(), batch: events(2) }));
      const appends = streams.map(({ id, batch }) => store.append(id, batch, 'no_stream'));
      server.dropConnections();
      const results = await Promise.allSettled(appends);
      for (const [i, { id, batch }] of streams.entries()) {
        const stored = (await store.readStream(id)).map((e) => e.id);
        // An append may still fail after its retries (the runtime retries it then); it never half-applies or doubles.
        if (results[i]!.status === 'fulfilled') expect(stored).toEqual(batch.map((e) => e.id));
        else expect([[], batch.map((e) => e.id)]).toContainEqual(stored);
      }
      expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof StoreUnavailableError)).toBe(true);
    });

    it("maps the server's maximum append size to PayloadTooLargeError", async () => {
      const small = await startPair({ ...path.server, maxAppendSize: 4_000 }, path.store);
      try {
        const big = Array.from({ length: 3 }, () => event('Chunk', { pad: 'x'.repeat(2_000) }));
        const error = await small.store.append(stream(), big, 'no_stream').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(PayloadTooLargeError);
        expect((error as Error).message).toContain('4000 bytes');
      } finally {
        await small.store.close();
        await small.server.close();
      }
    });
  });

  describe('readAll', () => {
    let server: EsdbProtocolServer;
    let store: EventStore;
    beforeAll(async () => ({ server, store } = await startPair({}, { readAllPageSize: 5 })));
    afterAll(async () => {
      await store.close();
      await server.close();
    });

    it('never returns system events, and filters by prefix across many pages', async () => {
      const prefix = `${stream()}-`;
      for (let k = 0; k < 6; k++) {
        await store.append(`${prefix}${k % 2}`, events(3), 'any');
        await store.append(stream(), [event('Noise')], 'no_stream');
      }
      // The fixture's log holds $settings and one $ce-saga link per event, as a server with projections would.
      expect(server.log.all.some((e) => e.streamName.startsWith('$ce-'))).toBe(true);
      const all = await store.readAll();
      expect(all.length).toBeGreaterThan(0);
      expect(all.every((e) => !e.streamId.startsWith('$') && !e.type.startsWith('$'))).toBe(true);
      const mine = await store.readAll({ streamPrefix: prefix });
      expect(mine).toHaveLength(18);
      expect(mine.every((e) => e.streamId.startsWith(prefix))).toBe(true);
      expect(await store.readAll({ streamPrefix: prefix, maxCount: 7 })).toEqual(mine.slice(0, 7));
    });

    it("treats `after` between two events' positions as exclusive, though the server refuses to start there", async () => {
      const id = stream();
      await store.append(id, events(3), 'no_stream');
      const [first, second, third] = await store.readStream(id);
      expect(server.log.isValidPosition(BigInt(first!.position + 1))).toBe(false);
      expect((await store.readAll({ after: first!.position + 1, streamPrefix: id })).map((e) => e.id)).toEqual([second!.id, third!.id]);
    });

    it('reports an event it cannot represent (not JSON) instead of skipping it', async () => {
      const id = stream();
      server.log.append(id, { kind: 'no_stream' }, [
        { id: v7(), type: 'Binary', contentType: 'application/octet-stream', data: new Uint8Array([1, 2, 3]), customMetadata: new Uint8Array() },
      ]);
      await expect(store.readStream(id)).rejects.toBeInstanceOf(CorruptedEventError);
      await expect(store.readAll({ streamPrefix: id })).rejects.toThrow(/is not JSON/);
    });
  });

  describe('connection URLs and errors', () => {
    let server: EsdbProtocolServer;
    beforeAll(async () => {
      server = await startEsdbProtocolServer();
    });
    afterAll(async () => server.close());

    it('reports an unreachable server with StoreUnavailableError: the URL without its password, and what to check', async () => {
      const port = await closedPort();
      const url = `esdb://admin:Sup3r-Secret@127.0.0.1:${port}?tls=false`;
      const error = await create({ connectionString: url }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      const { message, details, cause } = error as StoreUnavailableError;
      expect(message).toContain(`esdb://admin:***@127.0.0.1:${port}?tls=false`);
      // 6.x quotes grpc-js ("connect ECONNREFUSED ..."); the successor's read bridge says only "UnavailableError".
      expect(message).toMatch(client === 'eventstore' ? /ECONNREFUSED/ : /UnavailableError/);
      expect(message).toContain('Check that the server is running');
      for (const text of [message, JSON.stringify(details), String(cause), (cause as Error | undefined)?.stack ?? ''])
        expect(text).not.toContain('Sup3r-Secret');
    });

    it('says that TLS is the likely problem when a TLS client meets an insecure server', async () => {
      const error = await create({ connectionString: `esdb://127.0.0.1:${server.port}` }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toContain('add tls=false to the URL');
    });

    it('reports failed cluster discovery as StoreUnavailableError naming the gossip seeds', async () => {
      const port = await closedPort();
      const url = `esdb+discover://ops:Sup3r-Secret@127.0.0.1:${port}?tls=false&maxDiscoverAttempts=2&discoveryInterval=10`;
      const error = await create({ connectionString: url }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toContain('gossip seeds');
      expect((error as Error).message).not.toContain('Sup3r-Secret');
    });

    it('connects with esdb+discover:// (gossip) and kurrentdb:// URLs', async () => {
      for (const url of [`esdb+discover://127.0.0.1:${server.port}?tls=false`, `kurrentdb://admin:changeit@127.0.0.1:${server.port}?tls=false`]) {
        const store = await create({ connectionString: url });
        try {
          expect((await store.append(stream(), [event()], 'no_stream')).nextRevision).toBe(0);
        } finally {
          await store.close();
        }
      }
    });

    it('rejects unusable URLs with StoreUrlError, never showing the password', async () => {
      const bad = [
        'postgres://admin:Sup3r-Secret@127.0.0.1:5432/db',
        'esdb://admin:Sup3r-Secret@',
        'esdb://admin:Sup3r-Secret@127.0.0.1:not-a-port?tls=false',
        'esdb://admin:Sup3r-Secret@127.0.0.1:2113?tls=maybe',
        'esdb://admin:Sup3r-Secret@127.0.0.1:2113?tls=false&throwOnAppendFailure=false',
        'not a url',
      ];
      for (const connectionString of bad) {
        const error = await create({ connectionString }).catch((e: unknown) => e);
        expect(error, connectionString).toBeInstanceOf(StoreUrlError);
        expect((error as Error).message).not.toContain('Sup3r-Secret');
      }
      const tlsWithoutCredentials = create({ connectionString: `esdb://127.0.0.1:${server.port}`, forceAppendPath: true });
      await expect(tlsWithoutCredentials).rejects.toThrow(/forceAppendPath needs user:password@/);
    });
  });
}
