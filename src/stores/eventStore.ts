/**
 * The event-store port: the only thing the runtime knows about storage. Every adapter
 * (inMemory, sqlite, postgres, esdb) implements it and passes `describeEventStoreContract`.
 *
 * Semantics follow EventStoreDB, so that the production store is the reference:
 * - A stream's revisions are 0, 1, 2, ... without gaps. A missing stream reads as empty.
 * - Positions are global and strictly increasing in the order readers can see events (and by
 *   revision within a stream). They may have large gaps (PostgreSQL derives them from
 *   transaction ids), so never count with them; but a reader of "everything after p" never
 *   misses an event that becomes visible later with a lower position (a store must not expose
 *   position q before every position < q is settled).
 * - An append is atomic: all its events are stored, consecutively, or none.
 * - Re-appending events whose ids were already appended, at the same expected revision, is an
 *   idempotent success that returns the original result and stores nothing twice.
 */
import { ErrorCode, isSagaError, PayloadTooLargeError, StreamNameError } from '../core/errors.js';
import type { OpenStreamIndex } from './openStreamIndex.js';
import type { WorkerLiveness } from './workerLiveness.js';

export type { ClaimOpenStreamsOptions, OpenStreamChange, OpenStreamIndex, OpenStreamPlanner, OpenStreamsPage } from './openStreamIndex.js';
export type { WorkerLiveness } from './workerLiveness.js';

/** JSON values: what event data and metadata may hold. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * What the appender expects of the stream:
 * - `'no_stream'`: the stream must not exist yet;
 * - `'any'`: no check (use sparingly: it disables fencing);
 * - a number: the revision of the stream's last event.
 */
export type ExpectedRevision = 'no_stream' | 'any' | number;

/** An event to append. Data and metadata together must fit the store's `maxEventBytes` as JSON. */
export interface NewEvent {
  /** UUID; the idempotency key of the append. */
  id: string;
  /** The event type: a non-empty string. */
  type: string;
  /** The event's payload. */
  data: Json;
  /** Facts about the event (who wrote it, the schema version). @default {} */
  metadata?: Record<string, Json>;
}

/** An event as stored and read back. */
export interface RecordedEvent {
  /** The id it was appended with. */
  id: string;
  /** The stream it belongs to. */
  streamId: string;
  /** The event type. */
  type: string;
  /** The payload, as appended (after a JSON round trip). */
  data: Json;
  /** The metadata, as appended; `{}` when none was given. */
  metadata: Record<string, Json>;
  /** Revision within its stream, from 0. */
  revision: number;
  /** Global position, strictly increasing in the order readers see events; sparse. */
  position: number;
  /** When the store recorded it, ISO-8601. */
  recordedAt: string;
}

/** What a successful append returns. */
export interface AppendResult {
  /** Revision of the last event now in the stream: pass it as the next expected revision. */
  nextRevision: number;
  /** Global position of the last appended event. */
  position: number;
}

/** Options of {@link EventStore.readStream}. */
export interface ReadStreamOptions {
  /** Read from the first event on, or from the last one back. @default 'forwards' */
  direction?: 'forwards' | 'backwards';
  /** First revision to return (inclusive). @default 0 forwards, the last revision backwards */
  fromRevision?: number;
  /** Most events to return. @default unlimited */
  maxCount?: number;
}

/** Options of {@link EventStore.readAll}. */
export interface ReadAllOptions {
  /** Return events with a position strictly greater than this. @default 0 (from the start) */
  after?: number;
  /** Only events of streams whose id starts with this prefix (e.g. `'saga-'`). Without it, every stream's. */
  streamPrefix?: string;
  /** Most events to return. @default unlimited */
  maxCount?: number;
}

/** Options of {@link EventStore.subscribeToAll}: where to start, which streams, and the handlers. */
export interface SubscribeToAllOptions extends Omit<ReadAllOptions, 'maxCount'> {
  /**
   * Called for every event, in position order, exactly once; the next event is delivered
   * only after the returned promise settles. A throw stops the subscription with onError.
   */
  onEvent(event: RecordedEvent): void | Promise<void>;
  /** Called once, when the catch-up part has delivered everything stored at that time. */
  onCaughtUp?(): void;
  /** The subscription stopped for good (the store closed, the handler threw, the server went away past retrying). */
  onError?(error: unknown): void;
}

/** A live subscription, as {@link EventStore.subscribeToAll} returns it. */
export interface Subscription {
  /** Stop delivering. Resolves once no handler call is running. */
  unsubscribe(): Promise<void>;
}

/**
 * The store port: an append-only log of streams, with optimistic concurrency, read by stream
 * or in global position order, and followed by subscription. Create one with
 * {@link createInMemoryEventStore}, {@link createStore}, or an adapter of `sagaflow/sqlite`,
 * `sagaflow/postgres` or `sagaflow/esdb`. Its semantics are the module's (see above) and
 * are checked by `describeEventStoreContract` (`sagaflow/testing/contract`).
 */
export interface EventStore {
  /** A short name for logs: 'memory', 'sqlite', 'postgres', 'esdb'. */
  readonly kind: string;
  /**
   * Appends atomically, checking the expected revision. Re-appending the same event ids at the
   * same expected revision returns the first result and stores nothing twice.
   *
   * @throws {@link sagaflow!StreamVersionConflictError} (`STREAM_VERSION_CONFLICT`) when the stream's revision is not `expected`.
   * @throws {@link sagaflow!PayloadTooLargeError} (`PAYLOAD_TOO_LARGE`) when an event is larger than the store accepts.
   * @throws {@link sagaflow!StreamNameError} (`STREAM_NAME_INVALID`) for a stream name that breaks the naming rule.
   * @throws {@link sagaflow!StoreUnavailableError} (`STORE_UNAVAILABLE`) when the store cannot be reached.
   * @throws {@link sagaflow!StoreClosedError} (`STORE_CLOSED`) after `close()`.
   * @throws `TypeError` for malformed input (no events, an id that is not a UUID, a bad expected revision).
   */
  append(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult>;
  /**
   * Reads one stream; a missing stream reads as `[]`.
   *
   * @throws {@link sagaflow!StreamNameError} (`STREAM_NAME_INVALID`) for a stream name that breaks the naming rule.
   * @throws {@link sagaflow!StoreUnavailableError} (`STORE_UNAVAILABLE`) when the store cannot be reached.
   * @throws {@link sagaflow!StoreClosedError} (`STORE_CLOSED`) after `close()`.
   */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /**
   * Reads events of all streams in position order.
   *
   * @throws {@link sagaflow!StoreUnavailableError} (`STORE_UNAVAILABLE`) when the store cannot be reached.
   * @throws {@link sagaflow!StoreClosedError} (`STORE_CLOSED`) after `close()`.
   */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * Catches up from `after`, then delivers live events, each exactly once, in order. Later
   * failures are not thrown: they end the subscription through `onError`.
   *
   * @throws {@link sagaflow!StoreClosedError} (`STORE_CLOSED`) after `close()`.
   */
  subscribeToAll(options: SubscribeToAllOptions): Subscription;
  /** Releases connections and stops subscriptions. Later calls throw {@link sagaflow!StoreClosedError} (`STORE_CLOSED`). */
  close(): Promise<void>;
  /**
   * Stores that retry a dropped connection inside one call (PostgreSQL) report each retry
   * here, so that an outage is visible at once rather than when the call gives up. Optional.
   * Returns the function that stops observing.
   */
  observeRetries?(observer: (retry: StoreRetry) => void): () => void;
  /**
   * Stores that keep an index of open streams in the append's own transaction (SQLite,
   * memory) expose it here; the runtime reads unfinished sagas from it instead of scanning
   * the log. Optional: without it, a restart scans (see openStreamIndex.ts).
   */
  readonly openStreams?: OpenStreamIndex;
  /**
   * Stores that can keep one liveness record per worker, and see a worker's process die
   * (SQLite, PostgreSQL), expose it here; the runtime then renews one record per worker
   * instead of appending LeaseExtended to each running saga, and takes over the attempts of a
   * dead worker at once. Optional: without it, attempts keep their per-saga heartbeat.
   */
  readonly workerLiveness?: WorkerLiveness;
}

/** One retry a store makes inside a call. */
export interface StoreRetry {
  /** What the call was doing, e.g. 'appending to saga-…'. */
  doing: string;
  /** The failure that caused the retry. */
  error: unknown;
  /** 1 for the first retry. */
  attempt: number;
  /** The wait before the retry, in ms. */
  delayMs: number;
}

/** Largest event (data + metadata as JSON, UTF-8), in bytes, a store accepts by default: 1 MiB (1_048_576), EventStoreDB's default. */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

/**
 * Stream names: 1–200 characters from [A-Za-z0-9_.:@-], not starting with `$` (EventStoreDB
 * reserves `$` for system streams) or '-'. Saga streams are `saga-<uuid>`.
 */
const STREAM_NAME = /^[A-Za-z0-9_.:@][A-Za-z0-9_.:@-]{0,199}$/;

/**
 * Names that passed the check lately: a saga's stream is checked at every append and read,
 * and the regular expression was a few per cent of an engine's CPU per saga. Bounded: cleared
 * when full, so it never holds more than the names of the last few thousand streams.
 */
const validStreamNames = new Set<string>();
const VALID_STREAM_NAMES_KEPT = 4096;

/**
 * Checks a stream name: 1–200 characters from `A-Z a-z 0-9 _ . : @ -`, not starting with `$`
 * or `-`. Shared by every adapter.
 *
 * @throws {@link StreamNameError} (`STREAM_NAME_INVALID`) when `streamId` breaks the rule.
 */
export function assertValidStreamName(streamId: unknown): asserts streamId is string {
  if (typeof streamId === 'string' && validStreamNames.has(streamId)) return;
  if (typeof streamId !== 'string' || !STREAM_NAME.test(streamId)) {
    throw new StreamNameError(
      `Invalid stream name ${JSON.stringify(streamId)}: use 1-200 characters from A-Z a-z 0-9 _ . : @ -, not starting with '-' or '$' (saga streams are 'saga-<uuid>').`,
      { details: { streamId } },
    );
  }
  if (validStreamNames.size >= VALID_STREAM_NAMES_KEPT) validStreamNames.clear();
  validStreamNames.add(streamId);
}

/** An event's data and metadata as JSON text: what the SQL and in-memory stores keep. */
export interface EncodedEvent {
  data: string;
  metadata: string;
}

/**
 * Encodes a batch once, for the size check and for storage alike. Events of one batch often
 * share one metadata object (the runtime's do): it is encoded once.
 */
export function encodeEvents(events: readonly NewEvent[]): EncodedEvent[] {
  let lastMetadata: unknown;
  let lastJson = '{}';
  return events.map((event) => {
    const metadata = event.metadata ?? {};
    if (metadata !== lastMetadata) {
      lastMetadata = metadata;
      lastJson = JSON.stringify(metadata);
    }
    return { data: JSON.stringify(event.data ?? null), metadata: lastJson };
  });
}

/** Throws PayloadTooLargeError when an event's data + metadata exceed `maxBytes`. Shared by every adapter. */
export function assertEventSize(streamId: string, event: NewEvent, maxBytes = DEFAULT_MAX_EVENT_BYTES, encoded?: EncodedEvent): void {
  const bytes = encoded
    ? Buffer.byteLength(encoded.data) + Buffer.byteLength(encoded.metadata)
    : Buffer.byteLength(JSON.stringify(event.data ?? null)) + Buffer.byteLength(JSON.stringify(event.metadata ?? {}));
  if (bytes > maxBytes) {
    throw new PayloadTooLargeError(
      `Event ${event.type} (${event.id}) for stream ${streamId} is ${bytes} bytes; the limit is ${maxBytes}. Store large payloads elsewhere (e.g. object storage) and put a reference in the event.`,
      { details: { streamId, eventId: event.id, bytes, maxBytes } },
    );
  }
}

/** Any RFC 4122/9562 UUID, case-insensitive (EventStoreDB requires event ids to be UUIDs). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks every append's inputs the same way in every adapter, before touching storage:
 * stream name, expected revision, a non-empty batch of events with distinct UUID ids and a
 * non-empty type, each within `maxBytes` (measured on `encoded` when the adapter encoded the
 * batch already, see encodeEvents). Programming errors are `TypeError`s; the batch is
 * rejected as a whole, so nothing is appended.
 */
export function assertValidAppend(
  streamId: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
  maxBytes?: number,
  encoded?: readonly EncodedEvent[],
): void {
  assertValidStreamName(streamId);
  if (!(expected === 'no_stream' || expected === 'any' || (Number.isInteger(expected) && expected >= 0))) {
    throw new TypeError(`Invalid expected revision ${String(expected)}: use 'no_stream', 'any' or a revision >= 0.`);
  }
  // An empty append has no revision to report and no use in a saga; EventStoreDB's "empty
  // append" is rejected here so that every store behaves alike.
  if (!Array.isArray(events) || events.length === 0) {
    throw new TypeError(`Append to ${streamId} has no events: pass at least one.`);
  }
  // Ids compare case-insensitively. A runtime batch holds a handful of events: a list beats a Set.
  const ids: string[] = [];
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as NewEvent;
    if (typeof event?.id !== 'string' || !UUID.test(event.id)) {
      throw new TypeError(`Event id ${JSON.stringify(event?.id)} for stream ${streamId} is not a UUID (use v7 from 'uuid').`);
    }
    const id = event.id.toLowerCase();
    if (ids.includes(id)) {
      throw new TypeError(`Event id ${event.id} appears twice in one append to ${streamId}.`);
    }
    ids.push(id);
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new TypeError(`Event ${event.id} for stream ${streamId} has no type.`);
    }
    assertEventSize(streamId, event, maxBytes, encoded?.[i]);
  }
}

/**
 * How a caller of the port treats a store error. One classification, made here, that the
 * runtime applies everywhere (appends, reads, subscriptions):
 * - `conflict`: the stream moved (StreamVersionConflictError): reload, fold, decide again;
 * - `permanent`: the same call will fail again (too large, a bad name, the store is closed, a
 *   programming error such as a TypeError from the port's validation): do not retry;
 * - `transient`: anything else (the store is unavailable, a dropped connection): retry with
 *   backoff.
 */
export type StoreErrorKind = 'conflict' | 'transient' | 'permanent';

const PERMANENT_STORE_CODES: ReadonlySet<string> = new Set([
  ErrorCode.PayloadTooLarge,
  ErrorCode.StreamNameInvalid,
  ErrorCode.StoreClosed,
  ErrorCode.AppendRefused,
]);

/** Classifies an error thrown by any adapter of the port. Pure. */
export function classifyStoreError(error: unknown): StoreErrorKind {
  if (isSagaError(error)) {
    if (error.code === ErrorCode.StreamVersionConflict) return 'conflict';
    return PERMANENT_STORE_CODES.has(error.code) ? 'permanent' : 'transient';
  }
  return error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError ? 'permanent' : 'transient';
}
