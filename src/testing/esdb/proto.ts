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
