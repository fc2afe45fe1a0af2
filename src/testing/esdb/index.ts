/**
 * `sagaflow/testing/esdb`: an in-process EventStoreDB protocol server (and a simulated cluster of
 * them) to run the EventStoreDB store, and a service on it, where no EventStoreDB can be
 * installed. A subpath of its own because it loads `@grpc/grpc-js`, `google-protobuf` and the
 * generated protocol classes of `@eventstore/db-client`, which the rest of the test kit
 * (`sagaflow/testing`) must not need. What it emulates, and what not: esdbProtocolServer.ts.
 *
 * @module sagaflow/testing/esdb
 */
export {
  startEsdbProtocolCluster,
  startEsdbProtocolServer,
  type AppendCounters,
  type EsdbClusterNode,
  type EsdbProtocolCluster,
  type EsdbProtocolClusterOptions,
  type EsdbProtocolServer,
  type EsdbProtocolServerOptions,
} from '../esdbProtocolServer.js';
