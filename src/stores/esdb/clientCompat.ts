/**
 * The only file that imports `@eventstore/db-client` (6.x): it implements the adapter's
 * client interface (clientApi.ts) with it. Its successor, `@kurrent/kurrentdb-client` (1.x),
 * implements the same interface in `clientCompat.kurrent.ts`; the names that differ:
 *
 * | here (6.x)                               | successor (1.x)                                   |
 * |------------------------------------------|---------------------------------------------------|
 * | `EventStoreDBClient`                     | `KurrentDBClient`                                 |
 * | `appendToStream(s, e, { expectedRevision })` | `appendToStream(s, e, { streamState })`       |
 * | `esdb://`, `esdb+discover://` only       | `kurrentdb://`, `kurrentdb+discover://` (and `esdb://`, with a warning) |
 * | `readAll` takes no filter                | `readAll({ filter })` filters on the server       |
 * | `WrongExpectedVersionError.expectedVersion`/`actualVersion` | `.expectedState`/`.actualState` |
 * | reads over gRPC (grpc-js)                | reads through a native (Rust) bridge, errors by name |
 *
 * Nothing outside this folder may import the client: the runtime sees only the port.
 */
import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  MaxAppendSizeExceededError,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
} from '@eventstore/db-client';
import type { ExpectedRevision, Json, NewEvent } from '../eventStore.js';
import {
  Grpc,
  type AllSubscriptionHandle,
  type ClientErrorKind,
  type Credentials,
  type EsdbAppendResult,
  type EsdbClient,
  type EsdbPosition,
  type EsdbResolvedEvent,
  type ReadStreamRequest,
} from './clientApi.js';

/** Parses the URL (throws on a bad one); connects on first use. */
export function connect(connectionString: string): EsdbClient {
  const client = EventStoreDBClient.connectionString(connectionString);
  return {
    name: 'eventstore',
    // 6.x's `readAll` takes no filter: the adapter filters each page.
    filtersReadAll: false,
    append: (streamId, events, expected, credentials) => append(client, streamId, events, expected, credentials),
    readStream: (streamId, request) => readStream(client, streamId, request),
    readAllForwards: (from, maxCount) => client.readAll({ direction: FORWARDS, fromPosition: from === 'start' ? START : from, maxCount }),
    subscribeToAll: (from, streamPrefix) => subscribeToAll(client, from, streamPrefix),
    dispose: () => client.dispose(),
    classifyError,
    isDroppedConnection,
  };
}

function append(
  client: EventStoreDBClient,
  streamId: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
  credentials?: Credentials,
): Promise<EsdbAppendResult> {
  const expectedRevision = expected === 'no_stream' ? NO_STREAM : expected === 'any' ? ANY : BigInt(expected);
  const data = events.map((event) =>
    jsonEvent({
      id: event.id,
      type: event.type,
      // The client's JSON type leaves out null, booleans and numbers, which it serializes just the same.
      data: event.data as Exclude<Json, null | boolean | number>,
      ...(event.metadata === undefined ? {} : { metadata: event.metadata }),
    }),
  );
  // Explicit credentials make 6.x use the Append RPC even when the server offers BatchAppend.
  return client.appendToStream(streamId, data, { expectedRevision, ...(credentials === undefined ? {} : { credentials }) });
}

function readStream(client: EventStoreDBClient, streamId: string, request: ReadStreamRequest): AsyncIterable<EsdbResolvedEvent> {
  return client.readStream(streamId, {
    direction: request.backwards ? BACKWARDS : FORWARDS,
    fromRevision: request.fromRevision === undefined ? (request.backwards ? END : START) : BigInt(request.fromRevision),
    ...(request.maxCount === undefined ? {} : { maxCount: request.maxCount }),
  });
}

function subscribeToAll(client: EventStoreDBClient, from: EsdbPosition | 'start', streamPrefix: string | undefined): AllSubscriptionHandle {
  const filter = streamPrefix === undefined ? excludeSystemEvents() : streamNameFilter({ prefixes: [streamPrefix] });
  const subscription = client.subscribeToAll({ fromPosition: from === 'start' ? START : from, filter });
  // The iterator sees errors through its own listener; this one keeps a late error (after cancel) from crashing the process.
  subscription.on('error', () => {});
  return {
    events: subscription,
    buffered: () => subscription.readableLength,
    onConfirmed: (listener) => void subscription.on('confirmation', listener),
    // 6.x emits 'caughtUp' for the server's caught_up message (EventStoreDB 23.10 and later).
    onCaughtUp: (listener) => void subscription.on('caughtUp', listener),
    cancel: async () => {
      await subscription.unsubscribe().catch(() => {});
      subscription.destroy();
    },
  };
}

function classifyError(error: unknown): ClientErrorKind {
  if (error instanceof WrongExpectedVersionError) {
    return {
      kind: 'conflict',
      expected: revisionOrState(error.expectedVersion),
      actual: error.actualVersion === 'no_stream' ? 'no_stream' : Number(error.actualVersion),
    };
  }
  if (error instanceof StreamNotFoundError) return { kind: 'stream_not_found' };
  if (error instanceof MaxAppendSizeExceededError) return { kind: 'too_large', maxAppendSize: error.maxAppendSize };
  if (typeof error !== 'object' || error === null) return { kind: 'other' };
  const { code, message, type } = error as { code?: unknown; message?: unknown; type?: unknown };
  const text = typeof message === 'string' ? message : '';
  // Errors before a call is made (discovery, channel) are plain Errors or raw gRPC errors.
  if (text.startsWith('Failed to discover')) return { kind: 'unavailable' };
  if (type === 'not-leader') return { kind: 'unavailable' };
  if (code === Grpc.INVALID_ARGUMENT && /invalid position/i.test(text)) return { kind: 'invalid_position' };
  if (code === Grpc.PERMISSION_DENIED || code === Grpc.UNAUTHENTICATED || type === 'access-denied') return { kind: 'access_denied' };
  const transient: number[] = [Grpc.UNAVAILABLE, Grpc.DEADLINE_EXCEEDED, Grpc.CANCELLED, Grpc.ABORTED];
  if (typeof code === 'number' && transient.includes(code)) return { kind: 'unavailable' };
  return { kind: 'other' };
}

function isDroppedConnection(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, type } = error as { code?: unknown; message?: unknown; type?: unknown };
  // The client moves to the leader after a not-leader answer, so the next call goes there.
  if (type === 'not-leader') return true;
  // "Cancelled on client" is our own dispose(), not a lost connection.
  return code === Grpc.UNAVAILABLE || (code === Grpc.CANCELLED && !String(message).includes('Cancelled on client'));
}

function revisionOrState(value: bigint | string): string | number {
  return typeof value === 'bigint' ? Number(value) : value;
}
