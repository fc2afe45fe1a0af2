/**
 * The fixture's simulated 3-node cluster (startEsdbProtocolCluster) with `@eventstore/db-client`
 * 6.x: gossip names the leader, followers refuse writes with `not-leader`, and the leader change
 * under load (esdbClusterCases.ts). What the simulation leaves out: docs/esdb.md.
 */
import { EventStoreDBClient, jsonEvent, NO_STREAM } from '@eventstore/db-client';
import gossipGrpc from '@eventstore/db-client/generated/gossip_grpc_pb.js';
import gossipPb from '@eventstore/db-client/generated/gossip_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import { credentials, Metadata } from '@grpc/grpc-js';
import { v7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { startEsdbProtocolCluster, type EsdbProtocolCluster } from '../../src/testing/esdb/index.js';
import { appendsPerNode, clusterFailoverCases } from './esdbClusterCases.js';

let cluster: EsdbProtocolCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function gossip(port: number): Promise<{ port: number; state: number; alive: boolean }[]> {
  const client = new gossipGrpc.GossipClient(`127.0.0.1:${port}`, credentials.createInsecure());
  try {
    const info = await new Promise<InstanceType<typeof gossipPb.ClusterInfo>>((resolve, reject) =>
      client.read(new sharedPb.Empty(), new Metadata(), (error, answer) => (error ? reject(error) : resolve(answer!))),
    );
    return info.getMembersList().map((m) => ({ port: m.getHttpEndPoint()!.getPort(), state: m.getState(), alive: m.getIsAlive() }));
  } finally {
    client.close();
  }
}

const { LEADER, FOLLOWER } = gossipPb.MemberInfo.VNodeState;
const appends = appendsPerNode;

describe('simulated 3-node cluster (protocol)', () => {
  it('every node gossips all three members, one leader and two followers, and the leader change', async () => {
    cluster = await startEsdbProtocolCluster();
    const ports = cluster.nodes.map((n) => n.port);
    for (const port of ports) {
      const members = await gossip(port);
      expect(members.map((m) => m.port).sort()).toEqual([...ports].sort());
      expect(members.every((m) => m.alive)).toBe(true);
      expect(members.find((m) => m.port === ports[0])?.state).toBe(LEADER);
      expect(members.filter((m) => m.state === FOLLOWER)).toHaveLength(2);
    }
    expect(cluster.failover()).toBe(1);
    const after = await gossip(ports[2]!);
    expect(after.find((m) => m.state === LEADER)?.port).toBe(ports[1]);
    expect(
      after
        .filter((m) => m.state === FOLLOWER)
        .map((m) => m.port)
        .sort(),
    ).toEqual([ports[0], ports[2]].sort());
  });

  it.each([true, false])(
    'a follower refuses Append and BatchAppend with not-leader naming the leader; the client then writes to it (batchAppend: %s)',
    async (batchAppend) => {
      cluster = await startEsdbProtocolCluster({ batchAppend });
      const client = EventStoreDBClient.connectionString(cluster.connectionString);
      try {
        const stream = `saga-${v7()}`;
        await client.appendToStream(stream, jsonEvent({ type: 'A', data: {} }), { expectedRevision: NO_STREAM });
        expect(appends(cluster)).toEqual([1, 0, 0]);
        cluster.electLeader(2);
        const refused = await client.appendToStream(stream, jsonEvent({ type: 'B', data: {} }), { expectedRevision: 0n }).catch((e: unknown) => e);
        expect(refused).toMatchObject({ type: 'not-leader', leader: { address: '127.0.0.1', port: cluster.nodes[2]!.port } });
        expect(cluster.nodes[0]!.notLeaderAnswers).toBe(1);
        // Nothing was written; the client reconnected to the leader the trailers named.
        expect(cluster.log.stream(stream)).toHaveLength(1);
        await client.appendToStream(stream, jsonEvent({ type: 'B', data: {} }), { expectedRevision: 0n });
        expect(appends(cluster)).toEqual([1, 0, 1]);
        expect(cluster.log.stream(stream)!.map((e) => e.type)).toEqual(['A', 'B']);
      } finally {
        await client.dispose();
      }
    },
  );
});

clusterFailoverCases('eventstore');
