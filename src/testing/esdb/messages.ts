/**
 * Builders for the protocol messages the fixture sends, and parsers for the ones it
 * receives. Each mirrors what EventStoreDB's gRPC layer does (Streams.Append.cs,
 * Streams.BatchAppend.cs, Status.cs, RpcExceptions.cs in the server), so the client takes
 * the same code paths against the fixture as against a real node.
 */
import { Metadata, status as GrpcStatus, type ServerErrorResponse } from '@grpc/grpc-js';
import type { ExpectedState, StoredEvent } from './log.js';
import { Any, GoogleEmpty, ReadResp, SharedEmpty, SharedWrongExpectedVersion, Status, StreamIdentifier, UUID, type sharedPb, type statusPb } from './proto.js';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An error to send as the call's status, with the `exception` metadata the client maps. */
export class RpcFailure extends Error {
  constructor(
    readonly code: GrpcStatus,
    message: string,
    readonly metadata: Record<string, string> = {},
  ) {
    super(message);
  }

  toServiceError(): ServerErrorResponse {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(this.metadata)) metadata.set(key, value);
    return { name: 'RpcFailure', message: this.message, code: this.code, details: this.message, metadata };
  }
}

/** Parses an event_store.client.UUID in either wire form into the canonical lowercase string. */
export function parseUuid(uuid: sharedPb.UUID | undefined): string {
  if (uuid === undefined) throw new RpcFailure(GrpcStatus.INVALID_ARGUMENT, "Required Property 'id' is missing");
  if (uuid.hasStructured()) {
    const structured = uuid.getStructured()!;
    const bytes = Buffer.alloc(16);
    bytes.writeBigInt64BE(BigInt(structured.getMostSignificantBits()), 0);
    bytes.writeBigInt64BE(BigInt(structured.getLeastSignificantBits()), 8);
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  const text = uuid.getString();
  if (!UUID_PATTERN.test(text)) {
    // The server parses ids as .NET Guids and rejects anything else.
    throw new RpcFailure(GrpcStatus.INVALID_ARGUMENT, `'${text}' is not a valid UUID`);
  }
  return text.toLowerCase();
}

/** Encodes an id as the reader asked (`uuid_option`): the string form or the structured one. */
export function toUuid(id: string, structured: boolean): sharedPb.UUID {
  const uuid = new UUID();
  if (!structured) return uuid.setString(id);
  const bytes = Buffer.from(id.replaceAll('-', ''), 'hex');
  const value = new UUID.Structured();
  value.setMostSignificantBits(bytes.readBigInt64BE(0).toString());
  value.setLeastSignificantBits(bytes.readBigInt64BE(8).toString());
  return uuid.setStructured(value);
}

export function streamNameOf(identifier: sharedPb.StreamIdentifier | undefined): string {
  if (identifier === undefined) throw new RpcFailure(GrpcStatus.INVALID_ARGUMENT, "Required Property 'stream_identifier' is missing");
  return Buffer.from(identifier.getStreamName_asU8()).toString('utf8');
}

export function streamIdentifier(name: string): sharedPb.StreamIdentifier {
  return new StreamIdentifier().setStreamName(Uint8Array.from(Buffer.from(name, 'utf8')));
}

/**
 * One event of a read or subscription. Like EventStoreDB 22.10 and later, stream reads carry
 * the event's commit position too (older servers sent `no_position` there).
 */
export function readEventResp(event: StoredEvent, structuredUuids: boolean): InstanceType<typeof ReadResp> {
  const recorded = new ReadResp.ReadEvent.RecordedEvent();
  recorded.setId(toUuid(event.id, structuredUuids));
  recorded.setStreamIdentifier(streamIdentifier(event.streamName));
  recorded.setStreamRevision(String(event.revision));
  recorded.setCommitPosition(event.position.toString());
  recorded.setPreparePosition(event.position.toString());
  recorded.getMetadataMap().set('type', event.type);
  recorded.getMetadataMap().set('content-type', event.contentType);
  recorded.getMetadataMap().set('created', event.createdTicks.toString());
  recorded.setData(event.data);
  recorded.setCustomMetadata(event.customMetadata);
  const readEvent = new ReadResp.ReadEvent();
  readEvent.setEvent(recorded);
  readEvent.setCommitPosition(event.position.toString());
  return new ReadResp().setEvent(readEvent);
}

/**
 * BatchAppend's way of reporting a wrong expected version: a google.rpc.Status whose details
 * pack an event_store.client.WrongExpectedVersion (Status.WrongExpectedVersion in the server).
 */
export function wrongExpectedVersionStatus(current: number, expected: ExpectedState): statusPb.Status {
  const details = new SharedWrongExpectedVersion();
  if (current < 0) details.setCurrentNoStream(new GoogleEmpty());
  else details.setCurrentStreamRevision(String(current));
  switch (expected.kind) {
    case 'any':
      details.setExpectedAny(new GoogleEmpty());
      break;
    case 'no_stream':
      details.setExpectedNoStream(new GoogleEmpty());
      break;
    case 'stream_exists':
      details.setExpectedStreamExists(new GoogleEmpty());
      break;
    case 'revision':
      details.setExpectedStreamPosition(String(expected.revision));
      break;
  }
  return packedStatus(GrpcStatus.ALREADY_EXISTS, 'WrongExpectedVersion', details, 'event_store.client.WrongExpectedVersion');
}

/** A google.rpc.Status whose `details` Any packs `message` under `typeName`. */
export function packedStatus(code: number, message: string, details: { serializeBinary(): Uint8Array }, typeName: string): statusPb.Status {
  const any = new Any();
  any.pack(details.serializeBinary(), typeName);
  return new Status().setCode(code).setMessage(message).setDetails(any);
}

/** event_store.client.Empty, for the oneofs of the non-batch RPCs. */
export function sharedEmpty(): sharedPb.Empty {
  return new SharedEmpty();
}
