/**
 * The only file that imports `@kurrent/kurrentdb-client` (1.x), the successor of
 * `@eventstore/db-client`: it implements the adapter's client interface (clientApi.ts), as
 * `clientCompat.ts` does with 6.x. What differs from 6.x:
 *
 * - `KurrentDBClient`; `appendToStream(s, e, { streamState })` instead of `expectedRevision`;
 *   `kurrentdb://` and `kurrentdb+discover://` (it parses `esdb://` too, but warns on the
 *   console that it is deprecated, so the adapter rewrites `esdb://` for it);
 * - `WrongExpectedVersionError` carries `expectedState`/`actualState`;
 * - `readAll` accepts a filter, so the prefix (or "no system events") is applied by the server;
 * - `readStream` and `readAll` run in a native (Rust) bridge, `@kurrent/bridge`, with its own
 *   connection, discovery and reconnection; its errors are converted by name and carry no gRPC
 *   code and little text (an unreachable server reads "UnavailableError", an invalid `$all`
 *   position "Unmapped gRPC error: code: Client specified an invalid argument, message: ...");
 *   it reports `created` to the second (sub-second digits are zero), so subscriptions truncate
 *   theirs too and `recordedAt` has whole seconds with this client. Appends and subscriptions
 *   still use grpc-js, as 6.x does, with the same append paths (BatchAppend, or Append for calls
 *   with explicit credentials).
 * - `dispose()` closes the grpc-js calls and channel only; the bridge exposes no way to close
 *   its connection, which goes when the client is garbage-collected.
 *
 * Nothing outside this folder may import the client: the runtime sees only the port.
 */
import {
  ANY,
  BACKWARDS,
  END,
  FORWARDS,
  KurrentDBClient,
  MaxAppendSizeExceededError,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
} from '@kurrent/kurrentdb-client';
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
  const client = KurrentDBClient.connectionString(connectionString);
  return {
    name: 'kurrentdb',
    filtersReadAll: true,
    append: (streamId, events, expected, credentials) => append(client, streamId, events, expected, credentials),
    readStream: (streamId, request) => readStream(client, streamId, request),
    readAllForwards: (from, maxCount, streamPrefix) =>
      client.readAll({ direction: FORWARDS, fromPosition: from === 'start' ? START : from, maxCount, filter: serverFilter(streamPrefix) }),
    subscribeToAll: (from, streamPrefix) => subscribeToAll(client, from, streamPrefix),
    dispose: () => client.dispose(),
    classifyError,
    isDroppedConnection,
  };
}

/** The stream prefix, or "no system events" (an event-type filter) when there is none: the server applies one filter only. */
function serverFilter(streamPrefix: string | undefined) {
  return streamPrefix === undefined ? excludeSystemEvents() : streamNameFilter({ prefixes: [streamPrefix] });
}

function append(
  client: KurrentDBClient,
  streamId: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
  credentials?: Credentials,
): Promise<EsdbAppendResult> {
  const streamState = expected === 'no_stream' ? NO_STREAM : expected === 'any' ? ANY : BigInt(expected);
  const data = events.map((event) =>
    jsonEvent({
      id: event.id,
      type: event.type,
      // The client's JSON type leaves out null, booleans and numbers, which it serializes just the same.
      data: event.data as Exclude<Json, null | boolean | number>,
      ...(event.metadata === undefined ? {} : { metadata: event.metadata }),
    }),
  );
  // Explicit credentials make 1.x use the Append RPC even when the server offers BatchAppend, as in 6.x.
  return client.appendToStream(streamId, data, { streamState, ...(credentials === undefined ? {} : { credentials }) });
}

function readStream(client: KurrentDBClient, streamId: string, request: ReadStreamRequest): AsyncIterable<EsdbResolvedEvent> {
  return client.readStream(streamId, {
    direction: request.backwards ? BACKWARDS : FORWARDS,
    fromRevision: request.fromRevision === undefined ? (request.backwards ? END : START) : BigInt(request.fromRevision),
    ...(request.maxCount === undefined ? {} : { maxCount: request.maxCount }),
  });
}

function subscribeToAll(client: KurrentDBClient, from: EsdbPosition | 'start', streamPrefix: string | undefined): AllSubscriptionHandle {
  const subscription = client.subscribeToAll({ fromPosition: from === 'start' ? START : from, filter: serverFilter(streamPrefix) });
  // The iterator sees errors through its own listener; this one keeps a late error (after cancel) from crashing the process.
  subscription.on('error', () => {});
  return {
    events: toWholeSeconds(subscription),
    buffered: () => subscription.readableLength,
    onConfirmed: (listener) => void subscription.on('confirmation', listener),
    // Emitted for the server's caught_up message (EventStoreDB 23.10 and later, KurrentDB).
    onCaughtUp: (listener) => void subscription.on('caughtUp', listener),
    cancel: async () => {
      await subscription.unsubscribe().catch(() => {});
      subscription.destroy();
    },
  };
}

/**
 * Subscriptions parse events with grpc-js, which keeps `created` to the millisecond; reads go
 * through the bridge, which gives whole seconds. Truncating here keeps an event's
 * `recordedAt` the same whichever way it was read.
 */
async function* toWholeSeconds(events: AsyncIterable<EsdbResolvedEvent>): AsyncGenerator<EsdbResolvedEvent> {
  for await (const resolved of events) {
    const event = resolved.event;
    if (event === undefined) {
      yield resolved;
      continue;
    }
    const created = new Date(Math.floor(event.created.getTime() / 1000) * 1000);
    yield { ...resolved, event: { ...event, created } };
  }
}

function classifyError(error: unknown): ClientErrorKind {
  if (error instanceof WrongExpectedVersionError) {
    const actual = error.actualState;
    return {
      kind: 'conflict',
      expected: typeof error.expectedState === 'bigint' ? Number(error.expectedState) : error.expectedState,
      actual: typeof actual === 'bigint' ? Number(actual) : 'no_stream',
    };
  }
  if (error instanceof StreamNotFoundError) return { kind: 'stream_not_found' };
  if (error instanceof MaxAppendSizeExceededError) return { kind: 'too_large', maxAppendSize: error.maxAppendSize };
  if (typeof error !== 'object' || error === null) return { kind: 'other' };
  const { code, message, type } = error as { code?: unknown; message?: unknown; type?: unknown };
  const text = typeof message === 'string' ? message : '';
  // Errors before a call is made (grpc-js discovery, channel) are plain Errors or raw gRPC errors.
  if (text.startsWith('Failed to discover')) return { kind: 'unavailable' };
  // The bridge's errors have a type but no code: UnavailableError, DeadlineExceededError, NotLeaderError...
  if (type === 'not-leader' || type === 'unavailable' || type === 'deadline-exceeded' || type === 'cancelled') return { kind: 'unavailable' };
  // grpc-js says "3 INVALID_ARGUMENT: ... invalid position"; the bridge "Unmapped gRPC error: code: Client specified an invalid argument, message: ... invalid position".
  if ((code === Grpc.INVALID_ARGUMENT || /invalid argument/i.test(text)) && /invalid position/i.test(text)) return { kind: 'invalid_position' };
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
  // The bridge reports a lost (or refused) connection as UnavailableError, without a code; it reconnects on the next call.
  if (type === 'unavailable' && code === undefined) return true;
  // "Cancelled on client" is our own dispose(), not a lost connection.
  return code === Grpc.UNAVAILABLE || (code === Grpc.CANCELLED && !String(message).includes('Cancelled on client'));
}
