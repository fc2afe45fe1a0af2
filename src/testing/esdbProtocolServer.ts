/**
 * An in-process EventStoreDB gRPC server for tests: it speaks the client protocol on
 * 127.0.0.1 (insecure) with the service definitions and message classes that
 * `@eventstore/db-client` ships, so the real client, over real gRPC, exercises the adapter
 * where no EventStoreDB server can be installed. The successor client,
 * `@kurrent/kurrentdb-client` 1.x, speaks the same v1 protocol (same service paths and field
 * numbers; it adds a few fields the fixture does not send) and is served too: its reads go
 * through its native bridge, a separate HTTP/2 client, which this server answers like any other.
 * It looks for its newer v2 services (AppendSession, AppendRecords) in ServerFeatures only for
 * `multiStreamAppend`/`appendRecords`, which the adapter does not call; the fixture neither
 * lists nor serves them, like EventStoreDB and KurrentDB before 25.1. Both packages register their generated classes in one
 * global protobuf namespace, so when the successor is loaded its classes serialize the
 * fixture's nested messages; see `registered()` in esdb/proto.ts.
 *
 * It is a fixture, not a database. It reproduces the behaviour the adapter relies on:
 * ServerFeatures (advertising BatchAppend or not), Gossip (a single leader, so
 * `esdb+discover://` works), Streams/Append and Streams/BatchAppend with expected-revision
 * checks, idempotent re-appends and the server's error encodings, the maximum append size,
 * Streams/Read over streams and `$all` in both directions with counts, stream-not-found,
 * server-side filters, catch-up subscriptions with confirmation, checkpoints, `caught_up`
 * and live events, and dropped connections (`dropConnections()`).
 *
 * `startEsdbProtocolCluster()` runs several such servers over one shared log as a simulated
 * cluster: Gossip on every node reports every member (one leader, the rest followers), a
 * leader change is instantaneous (`electLeader`, `failover`), and followers refuse writes
 * with the server's `not-leader` error naming the leader, so the clients' discovery and
 * reconnection to the leader run for real. There is no replication, quorum or election
 * protocol behind it: see docs/esdb.md.
 *
 * It does not emulate: persistence (memory only), real clustering (replication, quorum
 * acknowledgement, elections, lost or truncated writes), read-only replicas, the forwarding of
 * writes a follower receives without `requires-leader`, TLS, authentication and ACLs, stream
 * metadata ($maxAge, $maxCount, truncation), Delete and Tombstone, link resolution
 * (`resolve_links` is ignored), projections other than the `$ce-` category links, persistent
 * subscriptions, the Operations, Users, Monitoring and Projections services, `fell_behind`,
 * write timeouts, and the server's per-event size limit.
 */
import { Server, ServerCredentials, status as GrpcStatus } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { createAppendHandler, createBatchAppendHandler, type AppendCounters, type AppendLimits } from './esdb/append.js';
import { EsdbLog } from './esdb/log.js';
import { RpcFailure, toUuid } from './esdb/messages.js';
import {
  ClusterInfo,
  EndPoint,
  GossipService,
  MemberInfo,
  ServerFeaturesService,
  StreamsService,
  SupportedMethod,
  SupportedMethods,
  type IGossipServer,
  type IServerFeaturesServer,
  type IStreamsServer,
} from './esdb/proto.js';
import { createReadHandler } from './esdb/read.js';

export { EsdbLog, type StoredEvent } from './esdb/log.js';
export type { AppendCounters } from './esdb/append.js';

/** Options of {@link startEsdbProtocolServer} (and of each node of a cluster). */
export interface EsdbProtocolServerOptions {
  /**
   * Advertise streams.Streams/BatchAppend in ServerFeatures, so the client appends through
   * it; false makes the client use Streams/Append, as against servers before 21.10.
   * @default true
   */
  batchAppend?: boolean;
  /** Largest append (sum of event data and metadata), in bytes. @default 1048576, the server's default */
  maxAppendSize?: number;
  /** Write `$>` links to `$ce-<category>` streams, as the `$by_category` projection does. @default true */
  linkCategories?: boolean;
  /** Version reported by ServerFeatures. @default '24.10.0' */
  serverVersion?: string;
  /** The first event appended lands at commit position 0 (see EsdbLogOptions). @default false */
  firstEventAtZero?: boolean;
}

/** A running fixture server. */
export interface EsdbProtocolServer {
  /** The TCP port on 127.0.0.1. */
  readonly port: number;
  /** `esdb://127.0.0.1:<port>?tls=false` */
  readonly connectionString: string;
  /** The fixture's in-memory log, for assertions (`log.all` lists every record, `$`-streams and links included). */
  readonly log: EsdbLog;
  /** Appends served by each RPC (Append, BatchAppend): which path the client took. */
  readonly appendsServed: Readonly<AppendCounters>;
  /**
   * Drops every open connection at once (HTTP/2 GOAWAY, then the sessions are destroyed), as
   * a restarting node or a broken network would. The data stays and the server keeps
   * accepting connections, so clients reconnect.
   */
  dropConnections(): void;
  /** Stops the server and discards the data. */
  close(): Promise<void>;
}

/** Starts a fixture server on 127.0.0.1 with an ephemeral port. */
export async function startEsdbProtocolServer(options: EsdbProtocolServerOptions = {}): Promise<EsdbProtocolServer> {
  const node = await startNode(newLog(options), options, undefined);
  return node;
}

function newLog(options: EsdbProtocolServerOptions): EsdbLog {
  return new EsdbLog({ linkCategories: options.linkCategories ?? true, firstEventAtZero: options.firstEventAtZero ?? false });
}

/** What a node of a simulated cluster asks the cluster: who leads, and who the members are. */
interface ClusterView {
  /** The leader's port, or undefined when this node is the leader. */
  leaderPortFor(port: number): number | undefined;
  members(): InstanceType<typeof MemberInfo>[];
  /** Counts a write this node refused. */
  refused(port: number): void;
}

async function startNode(log: EsdbLog, options: EsdbProtocolServerOptions, cluster: ClusterView | undefined): Promise<EsdbProtocolServer> {
  let port = 0;
  const limits: AppendLimits = {
    maxAppendSize: options.maxAppendSize ?? 1024 * 1024,
    ...(cluster === undefined ? {} : { refuseWrite: () => notLeader(cluster, port) }),
  };
  const server = new Server();
  const counters: AppendCounters = { append: 0, batchAppend: 0 };

  const streams: Partial<IStreamsServer> = {
    read: createReadHandler(log),
    append: createAppendHandler(log, limits, counters),
    batchAppend: createBatchAppendHandler(log, limits, counters),
  };
  // Methods left out (Delete, Tombstone) answer UNIMPLEMENTED, which grpc-js does for us.
  server.addService(StreamsService, streams as IStreamsServer);
  server.addService(ServerFeaturesService, {
    getSupportedMethods: (_call, callback) => callback(null, supportedMethods(options)),
  } satisfies IServerFeaturesServer);

  const instanceId = randomUUID();
  const gossip: IGossipServer = {
    read: (_call, callback) =>
      callback(null, new ClusterInfo().setMembersList(cluster === undefined ? [member(instanceId, port, MemberInfo.VNodeState.LEADER)] : cluster.members())),
  };
  server.addService(GossipService, gossip);
  port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });

  let closed = false;
  return {
    port,
    connectionString: `esdb://127.0.0.1:${port}?tls=false`,
    log,
    appendsServed: counters,
    dropConnections: () => {
      if (!closed) server.drain(`127.0.0.1:${port}`, 0);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      // tryShutdown reports when the listener is really closed; forceShutdown then cuts the open sessions.
      await new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        server.forceShutdown();
      });
    },
  };
}

/**
 * A follower's answer to a write (RpcExceptions.LeaderInfo in the server): NOT_FOUND, "Leader
 * info available", with the trailers the clients read: `exception: not-leader` and the
 * leader's address in `leader-endpoint-host` and `leader-endpoint-port`.
 */
function notLeader(cluster: ClusterView, port: number): RpcFailure | undefined {
  const leader = cluster.leaderPortFor(port);
  if (leader === undefined) return undefined;
  cluster.refused(port);
  return new RpcFailure(GrpcStatus.NOT_FOUND, 'Leader info available', {
    exception: 'not-leader',
    'leader-endpoint-host': '127.0.0.1',
    'leader-endpoint-port': String(leader),
  });
}

/** Options of {@link startEsdbProtocolCluster}: a server's options, shared by every node, and the node count. */
export interface EsdbProtocolClusterOptions extends EsdbProtocolServerOptions {
  /** How many nodes. @default 3 */
  nodes?: number;
}

/** One node of a simulated cluster. */
export interface EsdbClusterNode extends EsdbProtocolServer {
  /** Writes this node refused with `not-leader` while a follower. */
  readonly notLeaderAnswers: number;
}

/**
 * A simulated EventStoreDB cluster: several fixture servers on 127.0.0.1 that share one log.
 * One is the leader, the others followers; Gossip on every node reports all of them (their
 * http endpoints are their gRPC ports); followers serve reads and subscriptions and refuse
 * writes with `not-leader`, naming the leader. See docs/esdb.md for what is not simulated.
 */
export interface EsdbProtocolCluster {
  /** The nodes, in start order; node 0 leads first. */
  readonly nodes: readonly EsdbClusterNode[];
  /** The shared log. */
  readonly log: EsdbLog;
  /** Index in `nodes` of the current leader. */
  readonly leader: number;
  /** Gossip seeds: `esdb://127.0.0.1:<p1>,127.0.0.1:<p2>,...?tls=false&nodePreference=leader` */
  readonly connectionString: string;
  /** Makes node `index` the leader at once; the others become followers. */
  electLeader(index: number): void;
  /** The next node (in order) becomes the leader; returns its index. */
  failover(): number;
  /** Stops every node. */
  close(): Promise<void>;
}

/** Starts a simulated cluster (3 nodes by default); node 0 leads first. */
export async function startEsdbProtocolCluster(options: EsdbProtocolClusterOptions = {}): Promise<EsdbProtocolCluster> {
  const count = options.nodes ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`A cluster needs at least one node, not ${count}`);
  const log = newLog(options);
  const ids: string[] = [];
  const ports: number[] = [];
  const refusedBy = new Map<number, number>();
  let leader = 0;
  let electedAt = Date.now();
  const view: ClusterView = {
    leaderPortFor: (port) => (ports[leader] === port ? undefined : ports[leader]),
    members: () => ports.map((port, i) => member(ids[i]!, port, i === leader ? MemberInfo.VNodeState.LEADER : MemberInfo.VNodeState.FOLLOWER, electedAt)),
    refused: (port) => void refusedBy.set(port, (refusedBy.get(port) ?? 0) + 1),
  };
  const started: EsdbProtocolServer[] = [];
  try {
    for (let i = 0; i < count; i++) {
      ids.push(randomUUID());
      const node = await startNode(log, options, view);
      ports.push(node.port);
      started.push(node);
    }
  } catch (error) {
    await Promise.all(started.map((node) => node.close()));
    throw error;
  }
  const nodes: EsdbClusterNode[] = started.map((node) => ({
    port: node.port,
    connectionString: node.connectionString,
    log,
    appendsServed: node.appendsServed,
    get notLeaderAnswers() {
      return refusedBy.get(node.port) ?? 0;
    },
    dropConnections: () => node.dropConnections(),
    close: () => node.close(),
  }));
  const electLeader = (index: number): void => {
    if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`No node ${index} in a cluster of ${count}`);
    leader = index;
    electedAt = Date.now();
  };
  return {
    nodes,
    log,
    get leader() {
      return leader;
    },
    connectionString: `esdb://${ports.map((port) => `127.0.0.1:${port}`).join(',')}?tls=false&nodePreference=leader`,
    electLeader,
    failover: () => {
      electLeader((leader + 1) % count);
      return leader;
    },
    close: async () => {
      await Promise.all(started.map((node) => node.close()));
    },
  };
}

const STREAMS = 'event_store.client.streams.streams';

function supportedMethods(options: EsdbProtocolServerOptions): InstanceType<typeof SupportedMethods> {
  // Lower-case names and these features are what the server's FeatureDiscovery reports.
  const methods = [
    method(STREAMS, 'read', ['position', 'events']),
    method(STREAMS, 'append'),
    method('event_store.client.server_features.serverfeatures', 'getsupportedmethods'),
    method('event_store.client.gossip.gossip', 'read'),
  ];
  if (options.batchAppend ?? true) methods.push(method(STREAMS, 'batchappend', ['deadline_duration']));
  return new SupportedMethods().setEventStoreServerVersion(options.serverVersion ?? '24.10.0').setMethodsList(methods);
}

function method(serviceName: string, methodName: string, features: string[] = []): InstanceType<typeof SupportedMethod> {
  return new SupportedMethod().setServiceName(serviceName).setMethodName(methodName).setFeaturesList(features);
}

type VNodeState = (typeof MemberInfo.VNodeState)[keyof typeof MemberInfo.VNodeState];

/** A member as Gossip reports it; `since` (ms) is when its state last changed. */
function member(instanceId: string, port: number, state: VNodeState, since = Date.now()): InstanceType<typeof MemberInfo> {
  return new MemberInfo()
    .setInstanceId(toUuid(instanceId, false))
    .setTimeStamp(String(BigInt(since) * 10_000n))
    .setState(state)
    .setIsAlive(true)
    .setHttpEndPoint(new EndPoint().setAddress('127.0.0.1').setPort(port));
}
