/**
 * Streams/Append (client-streaming: options, then one message per event) and
 * Streams/BatchAppend (bidirectional: chunks keyed by correlation id, the last flagged
 * `is_final`), answering as EventStoreDB does:
 * - Append reports a wrong expected version in the response body (`wrong_expected_version`,
 *   filling the current and the 20.6.0 fields), other failures as call errors with an
 *   `exception` metadata entry;
 * - BatchAppend reports every failure as a google.rpc.Status in the response, its details an
 *   Any packing event_store.client.WrongExpectedVersion, MaximumAppendSizeExceeded, Timeout or
 *   BadRequest, and echoes the request's correlation id.
 */
import { status as GrpcStatus, type ServerDuplexStream, type ServerReadableStream, type sendUnaryData } from '@grpc/grpc-js';
import type { AppendOutcome, EsdbLog, ExpectedState, ProposedEvent } from './log.js';
import { packedStatus, parseUuid, RpcFailure, sharedEmpty, streamIdentifier, streamNameOf, wrongExpectedVersionStatus } from './messages.js';
import {
  AllStreamPosition,
  AppendResp,
  BadRequest,
  BatchAppendResp,
  GoogleEmpty,
  MaximumAppendSizeExceeded,
  Timeout,
  batchDeadline,
  type sharedPb,
  type streamsPb,
} from './proto.js';

export interface AppendLimits {
  /** Largest total of event data + metadata in one append, in bytes (the server's MaxAppendSize). */
  maxAppendSize: number;
  /**
   * Asked just before a write reaches the log: a failure to answer instead (a follower's
   * `not-leader`), or undefined to write. Absent on a single node, which always writes.
   */
  refuseWrite?: () => RpcFailure | undefined;
}

/** Appends completed through each RPC, so tests can tell which path the client took. */
export interface AppendCounters {
  /** Appends served by Streams/Append (one call per append). */
  append: number;
  /** Appends served by Streams/BatchAppend. */
  batchAppend: number;
}

/** Creates the Streams/Append handler. */
export function createAppendHandler(log: EsdbLog, limits: AppendLimits, counters: AppendCounters) {
  return (call: ServerReadableStream<streamsPb.AppendReq, streamsPb.AppendResp>, callback: sendUnaryData<streamsPb.AppendResp>): void => {
    let options: streamsPb.AppendReq.Options | undefined;
    const events: ProposedEvent[] = [];
    let size = 0;
    let failure: RpcFailure | undefined;
    call.on('data', (request: streamsPb.AppendReq) => {
      if (failure !== undefined) return;
      try {
        if (options === undefined) {
          options = request.getOptions();
          if (options === undefined) throw new RpcFailure(GrpcStatus.INVALID_ARGUMENT, 'The first message of an append must carry its options');
          return;
        }
        const event = toProposed(request.getProposedMessage());
        size += event.data.length + event.customMetadata.length;
        if (size > limits.maxAppendSize) throw maxAppendSizeFailure(limits.maxAppendSize);
        events.push(event);
      } catch (error) {
        failure = asFailure(error);
      }
    });
    call.on('error', () => {});
    call.on('end', () => {
      if (failure === undefined && options === undefined) failure = new RpcFailure(GrpcStatus.INVALID_ARGUMENT, 'Empty append request');
      if (failure !== undefined) return callback(failure.toServiceError());
      try {
        const streamName = streamNameOf(options!.getStreamIdentifier());
        const expected = appendExpected(options!);
        const refused = limits.refuseWrite?.();
        if (refused !== undefined) return callback(refused.toServiceError());
        counters.append += 1;
        callback(null, appendResp(log.append(streamName, expected, events), expected));
      } catch (error) {
        callback(asFailure(error).toServiceError());
      }
    });
  };
}

function appendExpected(options: streamsPb.AppendReq.Options): ExpectedState {
  if (options.hasRevision()) return { kind: 'revision', revision: Number(options.getRevision()) };
  if (options.hasNoStream()) return { kind: 'no_stream' };
  if (options.hasAny()) return { kind: 'any' };
  if (options.hasStreamExists()) return { kind: 'stream_exists' };
  throw new RpcFailure(GrpcStatus.INVALID_ARGUMENT, "'EXPECTED_STREAM_REVISION_NOT_SET' is not a valid expected revision");
}

function appendResp(outcome: AppendOutcome, expected: ExpectedState): streamsPb.AppendResp {
  const response = new AppendResp();
  if (outcome.kind === 'success') {
    const success = new AppendResp.Success();
    if (outcome.currentRevision < 0) success.setNoStream(sharedEmpty());
    else success.setCurrentRevision(String(outcome.currentRevision));
    if (outcome.position === undefined) success.setNoPosition(sharedEmpty());
    else {
      const position = new AppendResp.Position().setCommitPosition(outcome.position.toString());
      success.setPosition(position.setPreparePosition((outcome.transactionPosition ?? outcome.position).toString()));
    }
    return response.setSuccess(success);
  }
  const wrong = new AppendResp.WrongExpectedVersion();
  if (outcome.currentRevision < 0) wrong.setCurrentNoStream(sharedEmpty()).setNoStream2060(sharedEmpty());
  else wrong.setCurrentRevision(String(outcome.currentRevision)).setCurrentRevision2060(outcome.currentRevision);
  switch (expected.kind) {
    case 'any':
      wrong.setExpectedAny(sharedEmpty()).setAny2060(sharedEmpty());
      break;
    case 'stream_exists':
      wrong.setExpectedStreamExists(sharedEmpty()).setStreamExists2060(sharedEmpty());
      break;
    // The server also sets expected_revision_20_6_0 to ulong.MaxValue here; a JS number cannot carry it exactly, and 6.x clients ignore it.
    case 'no_stream':
      wrong.setExpectedNoStream(sharedEmpty());
      break;
    case 'revision':
      wrong.setExpectedRevision(String(expected.revision)).setExpectedRevision2060(expected.revision);
      break;
  }
  return response.setWrongExpectedVersion(wrong);
}

interface PendingBatch {
  correlation: sharedPb.UUID;
  options: streamsPb.BatchAppendReq.Options;
  events: ProposedEvent[];
  size: number;
}

/** Creates the Streams/BatchAppend handler. */
export function createBatchAppendHandler(log: EsdbLog, limits: AppendLimits, counters: AppendCounters) {
  return (call: ServerDuplexStream<streamsPb.BatchAppendReq, streamsPb.BatchAppendResp>): void => {
    const pending = new Map<string, PendingBatch>();
    const reply = (batch: Pick<PendingBatch, 'correlation' | 'options'>, fill: (response: streamsPb.BatchAppendResp) => void): void => {
      const response = new BatchAppendResp().setCorrelationId(batch.correlation);
      const identifier = batch.options.getStreamIdentifier();
      if (identifier !== undefined) response.setStreamIdentifier(streamIdentifier(streamNameOf(identifier)));
      fill(response);
      if (!call.cancelled && !call.writableEnded) call.write(response);
    };
    call.on('data', (request: streamsPb.BatchAppendReq) => {
      const correlation = request.getCorrelationId();
      let key: string;
      try {
        key = parseUuid(correlation);
      } catch {
        return; // Without a usable correlation id no answer can reach the caller; the server drops it too.
      }
      const options = request.getOptions();
      if (options !== undefined) pending.set(key, { correlation: correlation!, options, events: [], size: 0 });
      const batch = pending.get(key);
      if (batch === undefined) return;
      try {
        for (const message of request.getProposedMessagesList()) {
          const event = toProposed(message);
          batch.events.push(event);
          batch.size += event.data.length + event.customMetadata.length;
        }
        if (batch.size > limits.maxAppendSize) {
          pending.delete(key);
          const details = new MaximumAppendSizeExceeded().setMaxappendsize(limits.maxAppendSize);
          const status = packedStatus(GrpcStatus.INVALID_ARGUMENT, 'MaximumAppendSizeExceeded', details, 'event_store.client.MaximumAppendSizeExceeded');
          return reply(batch, (response) => response.setError(status));
        }
        if (!request.getIsFinal()) return;
        pending.delete(key);
        const deadline = batchDeadline(batch.options);
        if (deadline !== undefined && deadline.getTime() <= Date.now()) {
          const status = packedStatus(GrpcStatus.DEADLINE_EXCEEDED, 'Timeout', new Timeout(), 'event_store.client.Timeout');
          return reply(batch, (response) => response.setError(status));
        }
        const expected = batchExpected(batch.options);
        const refused = limits.refuseWrite?.();
        if (refused !== undefined) {
          // The server throws here (RpcExceptions.LeaderInfo), which ends the whole call with the
          // status and its trailers rather than answering this batch: the client then fails every
          // pending append of the call and reconnects to the leader the trailers name.
          pending.clear();
          call.emit('error', refused.toServiceError());
          return;
        }
        counters.batchAppend += 1;
        const outcome = log.append(streamNameOf(batch.options.getStreamIdentifier()), expected, batch.events);
        reply(batch, (response) => {
          if (outcome.kind === 'wrong_expected_version') response.setError(wrongExpectedVersionStatus(outcome.currentRevision, expected));
          else response.setSuccess(batchSuccess(outcome));
        });
      } catch (error) {
        pending.delete(key);
        const details = new BadRequest().setMessage(error instanceof Error ? error.message : String(error));
        reply(batch, (response) => response.setError(packedStatus(GrpcStatus.INVALID_ARGUMENT, 'BadRequest', details, 'event_store.client.BadRequest')));
      }
    });
    call.on('error', () => {});
    call.on('end', () => call.end());
  };
}

function batchExpected(options: streamsPb.BatchAppendReq.Options): ExpectedState {
  if (options.hasStreamPosition()) return { kind: 'revision', revision: Number(options.getStreamPosition()) };
  if (options.hasNoStream()) return { kind: 'no_stream' };
  if (options.hasAny()) return { kind: 'any' };
  if (options.hasStreamExists()) return { kind: 'stream_exists' };
  throw new RpcFailure(GrpcStatus.INVALID_ARGUMENT, "'EXPECTED_STREAM_POSITION_NOT_SET' is not a valid expected stream position");
}

function batchSuccess(outcome: Extract<AppendOutcome, { kind: 'success' }>): streamsPb.BatchAppendResp.Success {
  const success = new BatchAppendResp.Success();
  if (outcome.currentRevision < 0) success.setNoStream(new GoogleEmpty());
  else success.setCurrentRevision(String(outcome.currentRevision));
  if (outcome.position === undefined) return success.setNoPosition(new GoogleEmpty());
  const position = new AllStreamPosition().setCommitPosition(outcome.position.toString());
  return success.setPosition(position.setPreparePosition((outcome.transactionPosition ?? outcome.position).toString()));
}

type AnyProposedMessage = streamsPb.AppendReq.ProposedMessage | streamsPb.BatchAppendReq.ProposedMessage;

/** Validates one proposed event the way the server does: an id, a `type` and a `content-type` are required. */
function toProposed(message: AnyProposedMessage | undefined): ProposedEvent {
  if (message === undefined) throw new RpcFailure(GrpcStatus.INVALID_ARGUMENT, 'Expected a proposed message');
  const metadata = message.getMetadataMap();
  for (const key of ['type', 'content-type']) {
    if (metadata.get(key) === undefined) {
      throw new RpcFailure(GrpcStatus.INVALID_ARGUMENT, `Required Metadata Property '${key}' is missing`, {
        exception: 'missing-required-metadata-property',
        'required-metadata-properties': 'type,content-type',
      });
    }
  }
  return {
    id: parseUuid(message.getId()),
    type: metadata.get('type')!,
    contentType: metadata.get('content-type')!,
    data: message.getData_asU8(),
    customMetadata: message.getCustomMetadata_asU8(),
  };
}

function maxAppendSizeFailure(maxAppendSize: number): RpcFailure {
  return new RpcFailure(GrpcStatus.INVALID_ARGUMENT, `Maximum Append Size of ${maxAppendSize} Exceeded.`, {
    exception: 'maximum-append-size-exceeded',
    'maximum-append-size': String(maxAppendSize),
  });
}

function asFailure(error: unknown): RpcFailure {
  return error instanceof RpcFailure ? error : new RpcFailure(GrpcStatus.INTERNAL, error instanceof Error ? error.message : String(error));
}
