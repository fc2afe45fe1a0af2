/**
 * A leader change under load, with `@eventstore/db-client` 6.x against the fixture's simulated
 * 3-node cluster (startEsdbProtocolCluster): gossip names the leader, followers refuse writes
 * with `not-leader`, and the engine, through the adapter, finishes every saga on the new leader
 * without applying any step twice. What the simulation leaves out: docs/esdb.md.
 */
import { EventStoreDBClient, jsonEvent, NO_STREAM } from '@eventstore/db-client';
import gossipGrpc from '@eventstore/db-client/generated/gossip_grpc_pb.js';
import gossipPb from '@eventstore/db-client/generated/gossip_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import { credentials, Metadata } from '@grpc/grpc-js';
import { v7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fold, parseSagaEvent, valid } from '../../src/core/index.js';
import { createEngine, defineSaga, type Engine } from '../../src/index.js';
import { createEsdbEventStore } from '../../src/stores/esdb/index.js';
import type { EventStore } from '../../src/stores/eventStore.js';
import { startEsdbProtocolCluster, type EsdbProtocolCluster } from '../../src/testing/esdbProtocolServer.js';

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
const appends = (c: EsdbProtocolCluster): number[] => c.nodes.map((n) => n.appendsServed.append + n.appendsServed.batchAppend);

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
    expect(after.filter((m) => m.state === FOLLOWER).map((m) => m.port).sort()).toEqual([ports[0], ports[2]].sort());
  });

  it.each([true, false])('a follower refuses Append and BatchAppend with not-leader naming the leader; the client then writes to it (batchAppend: %s)', async (batchAppend) => {
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
  });
});

describe('a leader change while the engine runs sagas', () => {
  let engine: Engine | undefined;
  let store: EventStore | undefined;
  afterEach(async () => {
    await engine?.close({ graceMs: 0 });
    await store?.close();
    engine = undefined;
    store = undefined;
  });

  it.each([true, false])('50 three-step sagas all complete, each step effect applied once, streams valid, appends after the change on the new leader (batchAppend: %s)', async (batchAppend) => {
    cluster = await startEsdbProtocolCluster({ batchAppend });
    const calls = new Map<string, number>();
    const applied = new Set<string>();
    let release: () => void = () => {};
    const halfway = new Promise<void>((resolve) => (release = resolve));
    const effect = (step: string) => async ({ idempotencyKey }: { idempotencyKey: string }) => {
      calls.set(idempotencyKey, (calls.get(idempotencyKey) ?? 0) + 1);
      // A participant that dedupes by key: a repeated call with a known key applies nothing.
      applied.add(idempotencyKey);
      if (applied.size >= 60) release();
      await new Promise((resolve) => setTimeout(resolve, 1));
      return step;
    };
    const saga = defineSaga({ name: 'three', input: z.object({ n: z.number() }) })
      .step('a', { run: effect('a') })
      .step('b', { run: effect('b') })
      .step('c', { run: effect('c') });

    store = await createEsdbEventStore({ connectionString: cluster.connectionString });
    engine = await createEngine({ store, sagas: [saga] });
    const started = await Promise.all(Array.from({ length: 50 }, (_, n) => engine!.start('three', { n }, { idempotencyKey: `three-${n}` })));

    await halfway;
    const before = appends(cluster);
    const appliedAtFailover = applied.size;
    expect(cluster.failover()).toBe(1);
    const results = await Promise.all(started.map((s) => engine!.result(s.sagaId)));
    const after = appends(cluster);

    expect(results.every((r) => r.status === 'completed')).toBe(true);
    // Every step of every saga applied exactly once (calls may repeat; their keys are applied once).
    expect(applied.size).toBe(150);
    expect(appliedAtFailover).toBeLessThan(150);
    expect([...calls.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(150);
    for (const s of started) for (const step of ['a', 'b', 'c']) expect(applied.has(`${s.sagaId}/${step}`)).toBe(true);
    // The old leader (node 0) took no write after the change; the new one took them all.
    expect(after[0]).toBe(before[0]);
    expect(after[2]).toBe(before[2]);
    expect(after[1]! - before[1]!).toBeGreaterThan(0);
    expect(before[1]).toBe(0);
    expect(cluster.nodes[0]!.notLeaderAnswers).toBeGreaterThan(0);

    for (const s of started) {
      const streamId = `saga-${s.sagaId}`;
      const events = (await store.readStream(streamId)).map((e) => parseSagaEvent(e, e));
      const state = fold(events);
      expect(state?.status).toBe('completed');
      expect(valid(state!)).toBe(true);
      // No attempt has two outcomes.
      const outcomes = new Map<string, number>();
      for (const e of events) {
        if (e.type === 'StepSucceeded' || e.type === 'StepFailed') {
          const key = `${e.data.step}#${e.data.attempt}`;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        }
      }
      expect([...outcomes.values()].every((n) => n === 1)).toBe(true);
    }
  }, 60_000);
});
