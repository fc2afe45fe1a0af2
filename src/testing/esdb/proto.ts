/**
 * The gRPC service definitions and protobuf message classes of the EventStoreDB client
 * protocol, taken from the files `@eventstore/db-client` generates and ships. Using the
 * client's own classes means the fixture speaks byte-for-byte the protocol the client
 * speaks, and the generated serializers' `instanceof` checks pass because both sides load
 * the same module instances.
 *
 * The generated files are CommonJS that extend `exports` at run time, so they are imported
 * as default (module.exports) objects, with their types imported separately.
 */
import streamsPbModule from '@eventstore/db-client/generated/streams_pb.js';
import streamsGrpcModule from '@eventstore/db-client/generated/streams_grpc_pb.js';
import sharedPbModule from '@eventstore/db-client/generated/shared_pb.js';
import statusPbModule from '@eventstore/db-client/generated/status_pb.js';
import featuresPbModule from '@eventstore/db-client/generated/serverfeatures_pb.js';
import featuresGrpcModule from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import gossipPbModule from '@eventstore/db-client/generated/gossip_pb.js';
import gossipGrpcModule from '@eventstore/db-client/generated/gossip_grpc_pb.js';
import anyPbModule from 'google-protobuf/google/protobuf/any_pb.js';
import emptyPbModule from 'google-protobuf/google/protobuf/empty_pb.js';

export type * as streamsPb from '@eventstore/db-client/generated/streams_pb.js';
export type * as sharedPb from '@eventstore/db-client/generated/shared_pb.js';
export type * as statusPb from '@eventstore/db-client/generated/status_pb.js';
export type { IStreamsServer } from '@eventstore/db-client/generated/streams_grpc_pb.js';
export type { IServerFeaturesServer } from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
export type { IGossipServer } from '@eventstore/db-client/generated/gossip_grpc_pb.js';

export const { ReadReq, ReadResp, AppendReq, AppendResp, BatchAppendReq, BatchAppendResp } = streamsPbModule;
export const { UUID, StreamIdentifier, AllStreamPosition } = sharedPbModule;
export const SharedEmpty = sharedPbModule.Empty;
export const SharedWrongExpectedVersion = sharedPbModule.WrongExpectedVersion;
export const { MaximumAppendSizeExceeded, BadRequest, Timeout } = sharedPbModule;
export const { Status } = statusPbModule;
export const { SupportedMethods, SupportedMethod } = featuresPbModule;
export const { ClusterInfo, MemberInfo, EndPoint } = gossipPbModule;
export const { Any } = anyPbModule;
/** google.protobuf.Empty: BatchAppend uses it where the other RPCs use event_store.client.Empty. */
export const GoogleEmpty = emptyPbModule.Empty;

export const { StreamsService } = streamsGrpcModule;
export const { ServerFeaturesService } = featuresGrpcModule;
export const { GossipService } = gossipGrpcModule;

/**
 * The class the generated serializers will use for a nested message right now. Both client
 * packages (`@eventstore/db-client` and `@kurrent/kurrentdb-client`) register their generated
 * classes under the same names in one global namespace (`proto.event_store.client...`), and a
 * generated serializer looks a nested message's class up there at call time: when the
 * successor is loaded after this module, its classes serialize the fixture's messages. They
 * agree with 6.x's except for a few messages the successor's protocol extends
 * (`ReadResp.CaughtUp`, `ReadResp.Checkpoint`, `ReadResp.FellBehind` and
 * `BatchAppendReq.Options`), whose serializers call getters 6.x's classes lack. So the fixture
 * builds those messages with the class registered now, whichever package that is.
 */
function registered<C>(path: string, own: C): C {
  let node: unknown = (globalThis as { proto?: unknown }).proto;
  for (const key of path.split('.')) node = node === undefined || node === null ? undefined : (node as Record<string, unknown>)[key];
  return typeof node === 'function' ? (node as C) : own;
}

export function newCaughtUp(): InstanceType<typeof ReadResp.CaughtUp> {
  return new (registered('event_store.client.streams.ReadResp.CaughtUp', ReadResp.CaughtUp))();
}

export function newCheckpoint(position: bigint): InstanceType<typeof ReadResp.Checkpoint> {
  return new (registered('event_store.client.streams.ReadResp.Checkpoint', ReadResp.Checkpoint))()
    .setCommitPosition(position.toString())
    .setPreparePosition(position.toString());
}

/**
 * BatchAppend's deadline (field 6): `getDeadline()` in 6.x's classes, `getDeadline21100()` in
 * the successor's (whose `getDeadline()` is a Duration, field 7, that the clients do not send).
 */
export function batchDeadline(options: InstanceType<typeof BatchAppendReq.Options>): Date | undefined {
  const successor = options as unknown as { getDeadline21100?: () => { toDate(): Date } | undefined };
  return (typeof successor.getDeadline21100 === 'function' ? successor.getDeadline21100() : options.getDeadline())?.toDate();
}
