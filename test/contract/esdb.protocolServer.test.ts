/**
 * The protocol fixture itself, driven by the real `@eventstore/db-client` (and, for what the
 * client never sends, by the generated gRPC stubs): the server behaviour the adapter's tests
 * take for granted. Only tests may talk to the client directly; src/ goes through the adapter.
 */
import { credentials, Metadata } from '@grpc/grpc-js';
import { BACKWARDS, END, EventStoreDBClient, FORWARDS, jsonEvent, NO_STREAM, START, streamNameFilter, type Position } from '@eventstore/db-client';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import { v7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEsdbProtocolServer, type EsdbProtocolServer } from '../../src/testing/esdb/index.js';

let server: EsdbProtocolServer;
let client: EventStoreDBClient;
beforeAll(async () => {
  server = await startEsdbProtocolServer();
  client = EventStoreDBClient.connectionString(server.connectionString);
});
afterAll(async () => {
  await client.dispose();
  await server.close();
});

const collect = async <T>(iterable: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
};

describe('EventStoreDB protocol fixture', () => {
  it('reads $all both ways: inclusive from a position forwards, before it backwards, system events included', async () => {
    const stream = `saga-${v7()}`;
    await client.appendToStream(stream, [jsonEvent({ type: 'A', data: {} }), jsonEvent({ type: 'B', data: {} })], { expectedRevision: NO_STREAM });
    const [first] = await collect(client.readStream(stream, { maxCount: 1 }));
    const from = first!.event!.position!;
    const forwards = await collect(client.readAll({ fromPosition: from, direction: FORWARDS, maxCount: 3 }));
    expect(forwards.map((e) => `${e.event!.streamId}:${e.event!.type}`)).toEqual([`${stream}:A`, `${stream}:B`, '$ce-saga:$>']);
    const backwards = await collect(client.readAll({ fromPosition: from, direction: BACKWARDS, maxCount: 1 }));
    expect(backwards[0]!.event!.position!.commit).toBeLessThan(from.commit);
    const last = await collect(client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 }));
    expect(last[0]!.event!.type).toBe('$>');
  });

  it('refuses to read $all from a position that is not an event', async () => {
    const read = collect(client.readAll({ fromPosition: { commit: 257n, prepare: 257n }, maxCount: 1 }));
    await expect(read).rejects.toThrow(/invalid position/);
  });

  it('confirms, catches up, checkpoints a filtered subscription, says caught up, then goes live', async () => {
    const prefix = `saga-${v7()}-`;
    await client.appendToStream(`${prefix}a`, [jsonEvent({ type: 'Old', data: {} })], { expectedRevision: NO_STREAM });
    const log: string[] = [];
    const checkpoints: Position[] = [];
    const subscription = client.subscribeToAll({
      fromPosition: START,
      filter: streamNameFilter({ prefixes: [prefix], checkpointInterval: 1, checkpointReached: (_, position) => void checkpoints.push(position) }),
    });
    subscription.on('confirmation', () => log.push('confirmation')).on('caughtUp', () => log.push('caughtUp'));
    const seen = (async () => {
      for await (const resolved of subscription) {
        log.push(resolved.event!.type);
        if (resolved.event!.type === 'New') break;
      }
    })();
    await new Promise((resolve) => subscription.once('caughtUp', resolve));
    await client.appendToStream(`${prefix}b`, [jsonEvent({ type: 'New', data: {} })], { expectedRevision: NO_STREAM });
    await seen;
    expect(log).toEqual(['confirmation', 'Old', 'caughtUp', 'New']);
    // One at the end of catch-up at least: the log holds hundreds of records by now, 32 per window.
    expect(checkpoints.length).toBeGreaterThan(0);
    expect(checkpoints.every((p) => p.commit === p.prepare)).toBe(true);
  });

  it('subscribes to a stream after a revision (exclusive)', async () => {
    const stream = `saga-${v7()}`;
    await client.appendToStream(
      stream,
      [0, 1, 2].map((i) => jsonEvent({ type: `E${i}`, data: {} })),
      { expectedRevision: NO_STREAM },
    );
    const subscription = client.subscribeToStream(stream, { fromRevision: 0n });
    const types: string[] = [];
    for await (const resolved of subscription) {
      types.push(resolved.event!.type);
      if (types.length === 2) break;
    }
    expect(types).toEqual(['E1', 'E2']);
  });

  it('answers with structured UUIDs when the reader asks for them', async () => {
    const stream = `saga-${v7()}`;
    const id = v7();
    await client.appendToStream(stream, jsonEvent({ id, type: 'A', data: {} }), { expectedRevision: NO_STREAM });
    const raw = new streamsGrpc.StreamsClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
    try {
      const options = new streamsPb.ReadReq.Options()
        .setStream(
          new streamsPb.ReadReq.Options.StreamOptions()
            .setStreamIdentifier(new sharedPb.StreamIdentifier().setStreamName(Buffer.from(stream)))
            .setStart(new sharedPb.Empty()),
        )
        .setCount('10')
        .setNoFilter(new sharedPb.Empty())
        .setUuidOption(new streamsPb.ReadReq.Options.UUIDOption().setStructured(new sharedPb.Empty()));
      const responses = await collect<InstanceType<typeof streamsPb.ReadResp>>(raw.read(new streamsPb.ReadReq().setOptions(options), new Metadata()));
      const uuid = responses[0]!.getEvent()!.getEvent()!.getId()!;
      expect(uuid.hasStructured()).toBe(true);
      const hex =
        (BigInt.asUintN(64, BigInt(uuid.getStructured()!.getMostSignificantBits())) << 64n) |
        BigInt.asUintN(64, BigInt(uuid.getStructured()!.getLeastSignificantBits()));
      expect(hex.toString(16).padStart(32, '0')).toBe(id.replaceAll('-', ''));
    } finally {
      raw.close();
    }
  });

  it('reports a missing stream as stream-not-found and rejects a malformed event id', async () => {
    await expect(collect(client.readStream(`saga-${v7()}`))).rejects.toMatchObject({ type: 'stream-not-found' });
    await expect(client.appendToStream(`saga-${v7()}`, jsonEvent({ id: 'not-a-uuid', type: 'A', data: {} }))).rejects.toThrow();
  });
});
