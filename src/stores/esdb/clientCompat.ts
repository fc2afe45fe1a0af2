/**
 * The only file that imports `@eventstore/db-client` (6.x). Everything whose name or shape
 * differs in its successor, `@kurrent/kurrentdb-client` (1.x), is here, so supporting the
 * successor is a change to this file alone:
 *
 * | here (6.x)                               | successor (1.x)                                   |
 * |------------------------------------------|---------------------------------------------------|
 * | `EventStoreDBClient`                     | `KurrentDBClient`                                 |
 * | `appendToStream(s, e, { expectedRevision })` | `appendToStream(s, e, { streamState })`       |
 * | `esdb://`, `esdb+discover://` only       | also `kurrentdb://`, `kurrentdb+discover://`      |
 * | `readAll` takes no filter                | `readAll({ filter })` filters on the server       |
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
  type AllStreamResolvedEvent,
  type AppendResult,
  type Position,
  type ResolvedEvent,
} from '@eventstore/db-client';
import type { ExpectedRevision, Json, NewEvent } from '../eventStore.js';

export type EsdbClient = EventStoreDBClient;
export type EsdbPosition = Position;
export type EsdbResolvedEvent = ResolvedEvent | AllStreamResolvedEvent;
export type { AppendResult as EsdbAppendResult };

/** URL schemes this client parses. */
export const CLIENT_SCHEMES: readonly string[] = ['esdb', 'esdb+discover'];
/** Schemes of the successor, rewritten for this client (the URLs are otherwise the same). */
export const SCHEME_ALIASES: Readonly<Record<string, string>> = { kurrentdb: 'esdb', 'kurrentdb+discover': 'esdb+discover' };

export function createClient(connectionString: string): EsdbClient {
  return EventStoreDBClient.connectionString(connectionString);
}

export interface Credentials {
  username: string;
  password: string;
}

export function append(client: EsdbClient, streamId: string, events: readonly NewEvent[], expected: ExpectedRevision, credentials?: Credentials): Promise<AppendResult> {
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

export interface ReadStreamRequest {
  backwards: boolean;
  /** undefined: from the start (forwards) or the end (backwards). */
  fromRevision: number | undefined;
  maxCount: number | undefined;
}

export function readStream(client: EsdbClient, streamId: string, request: ReadStreamRequest): AsyncIterable<EsdbResolvedEvent> {
  return client.readStream(streamId, {
    direction: request.backwards ? BACKWARDS : FORWARDS,
    fromRevision: request.fromRevision === undefined ? (request.backwards ? END : START) : BigInt(request.fromRevision),
    ...(request.maxCount === undefined ? {} : { maxCount: request.maxCount }),
  });
}

/**
 * Reads `$all` forwards from `from` (inclusive), unfiltered: 6.x's `readAll` takes no filter,
 * so the adapter filters each page. The successor's does; passing it the prefix filter here
 * would save the traffic.
 */
export function readAllForwards(client: EsdbClient, from: EsdbPosition | 'start', maxCount: number): AsyncIterable<EsdbResolvedEvent> {
  return client.readAll({ direction: FORWARDS, fromPosition: from === 'start' ? START : from, maxCount });
}

/** A live catch-up subscription to `$all`. */
export interface AllSubscriptionHandle {
  readonly events: AsyncIterable<EsdbResolvedEvent>;
  /** Events received from the network but not yet taken from `events`. */
  buffered(): number;
  onConfirmed(listener: () => void): void;
  onCaughtUp(listener: () => void): void;
  /** Cancels the call and ends `events`; never rejects. */
  cancel(): Promise<void>;
}

/**
 * Subscribes after `from` (exclusive) with a server-side filter: the stream prefix when
 * given, else "no system events" (an event-type filter; the server applies one filter only).
 */
export function subscribeToAll(client: EsdbClient, from: EsdbPosition | 'start', streamPrefix: string | undefined): AllSubscriptionHandle {
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

export async function dispose(client: EsdbClient): Promise<void> {
  await client.dispose();
}

/** How an error from the client should be treated. */
export type ClientErrorKind =
  | { kind: 'conflict'; expected: string | number; actual: number | 'no_stream' }
  | { kind: 'stream_not_found' }
  | { kind: 'too_large'; maxAppendSize: number }
  | { kind: 'unavailable' }
  | { kind: 'access_denied' }
  | { kind: 'invalid_position' }
  | { kind: 'other' };

/** gRPC status codes, so the adapter needs no gRPC import of its own. */
const Grpc = { CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, PERMISSION_DENIED: 7, ABORTED: 10, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;

export function classifyError(error: unknown): ClientErrorKind {
  if (error instanceof WrongExpectedVersionError) {
    return { kind: 'conflict', expected: revisionOrState(error.expectedVersion), actual: error.actualVersion === 'no_stream' ? 'no_stream' : Number(error.actualVersion) };
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

/** A call that failed because its connection went away, not because of the server's answer. */
export function isDroppedConnection(error: unknown): boolean {
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
