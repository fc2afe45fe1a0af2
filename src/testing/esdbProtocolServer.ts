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
 * It does not emulate: persistence (memory only), clustering, leader election and
 * follower/read-only nodes (`not-leader` redirects), TLS, authentication and ACLs, stream
 * metadata ($maxAge, $maxCount, truncation), Delete and Tombstone, link resolution
 * (`resolve_links` is ignored), projections other than the `$ce-` category links, persistent
 * subscriptions, the Operations, Users, Monitoring and Projections services, `fell_behind`,
 * write timeouts, and the server's per-event size limit.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { createAppendHandler, createBatchAppendHandler, type AppendCounters } from './esdb/append.js';
import { EsdbLog } from './esdb/log.js';
import { toUuid } from './esdb/messages.js';
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

export interface EsdbProtocolServer {
  /** The TCP port on 127.0.0.1. */
  readonly port: number;
  /** `esdb://127.0.0.1:<port>?tls=false` */
  readonly connectionString: string;
  /** The fixture's in-memory log, for assertions. */
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
  const log = new EsdbLog({ linkCategories: options.linkCategories ?? true, firstEventAtZero: options.firstEventAtZero ?? false });
  const limits = { maxAppendSize: options.maxAppendSize ?? 1024 * 1024 };
  const server = new Server();
  const counters: AppendCounters = { append: 0, batchAppend: 0 };

  const streams: Partial<IStreamsServer> = {
    read: createReadHandler(log),
    append: createAppendHandler(log, limits, counters),
    batchAppend: createBatchAppendHandler(log, limits, counters),
  };
  // Methods left out (Delete, Tombstone) answer UNIMPLEMENTED, which grpc-js does for us.
  server.addService(StreamsService, streams as IStreamsServer);
  server.addService(ServerFeaturesService, { getSupportedMethods: (_call, callback) => callback(null, supportedMethods(options)) } satisfies IServerFeaturesServer);

  let port = 0;
  const gossip: IGossipServer = { read: (_call, callback) => callback(null, clusterInfo(port)) };
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

/** A one-node cluster whose leader is this server. */
function clusterInfo(port: number): InstanceType<typeof ClusterInfo> {
  const member = new MemberInfo()
    .setInstanceId(toUuid(randomUUID(), false))
    .setTimeStamp(String(BigInt(Date.now()) * 10_000n))
    .setState(MemberInfo.VNodeState.LEADER)
    .setIsAlive(true)
    .setHttpEndPoint(new EndPoint().setAddress('127.0.0.1').setPort(port));
  return new ClusterInfo().setMembersList([member]);
}
