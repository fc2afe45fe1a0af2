/**
 * The small internal interface between the adapter and a gRPC client package. Two packages
 * implement it, each in its own file, which is the only one using that package (`loadClient`
 * below only loads it first, to turn a missing install into DriverNotInstalledError):
 *
 * - `clientCompat.ts`: `@eventstore/db-client` 6.x (`esdb://`, `esdb+discover://`);
 * - `clientCompat.kurrent.ts`: its successor `@kurrent/kurrentdb-client` 1.x (`kurrentdb://`,
 *   `kurrentdb+discover://`).
 *
 * The adapter (esdbEventStore.ts, esdbSubscription.ts, esdbErrors.ts, mapping.ts) sees only
 * the shapes below, which both packages' results already have, so it does not care which
 * client runs. The package is loaded when a store is created, so importing `sagaflow/esdb`
 * loads neither (and a platform without the successor's native bridge can still use 6.x).
 */
import { DriverNotInstalledError } from '../../core/errors.js';
import type { ExpectedRevision, NewEvent } from '../eventStore.js';
import { isMissingPackage, loadOptionalDriver } from '../optionalDriver.js';

/** Which client package talks to the server. */
export type EsdbClientName = 'eventstore' | 'kurrentdb';

/** A `$all` position: byte offsets into the server's log. */
export interface EsdbPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

export interface EsdbRecordedEvent {
  readonly streamId: string;
  readonly id: string;
  readonly revision: bigint;
  readonly type: string;
  readonly data: unknown;
  readonly metadata?: unknown;
  readonly isJson: boolean;
  readonly created: Date;
  readonly position?: EsdbPosition | undefined;
}

export interface EsdbResolvedEvent {
  readonly event?: EsdbRecordedEvent | undefined;
  readonly commitPosition?: bigint | undefined;
}

export interface EsdbAppendResult {
  readonly nextExpectedRevision: bigint;
  readonly position?: EsdbPosition | undefined;
}

export interface Credentials {
  username: string;
  password: string;
}

export interface ReadStreamRequest {
  backwards: boolean;
  /** undefined: from the start (forwards) or the end (backwards). */
  fromRevision: number | undefined;
  maxCount: number | undefined;
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

/** How an error from the client should be treated. */
export type ClientErrorKind =
  | { kind: 'conflict'; expected: string | number; actual: number | 'no_stream' }
  | { kind: 'stream_not_found' }
  | { kind: 'too_large'; maxAppendSize: number }
  | { kind: 'unavailable' }
  | { kind: 'access_denied' }
  | { kind: 'invalid_position' }
  | { kind: 'other' };

/** One connected client of either package. */
export interface EsdbClient {
  readonly name: EsdbClientName;
  /**
   * Whether `readAllForwards` filters on the server. When false it returns every event and the
   * adapter filters each page; either way the adapter checks each event again.
   */
  readonly filtersReadAll: boolean;
  /** Explicit credentials make both packages use the Append RPC even when the server offers BatchAppend. */
  append(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision, credentials?: Credentials): Promise<EsdbAppendResult>;
  readStream(streamId: string, request: ReadStreamRequest): AsyncIterable<EsdbResolvedEvent>;
  /**
   * Reads `$all` forwards from `from` (inclusive), at most `maxCount` events (matching ones,
   * when the client filters): those of streams with `streamPrefix`, or no system events
   * when there is none.
   */
  readAllForwards(from: EsdbPosition | 'start', maxCount: number, streamPrefix: string | undefined): AsyncIterable<EsdbResolvedEvent>;
  /**
   * Subscribes after `from` (exclusive) with a server-side filter: the stream prefix when
   * given, else "no system events" (an event-type filter; the server applies one filter only).
   */
  subscribeToAll(from: EsdbPosition | 'start', streamPrefix: string | undefined): AllSubscriptionHandle;
  dispose(): Promise<void>;
  classifyError(error: unknown): ClientErrorKind;
  /** A call that failed because its connection went away, not because of the server's answer. */
  isDroppedConnection(error: unknown): boolean;
}

/** URL schemes each client parses, and the other client's schemes it is given rewritten (the URLs are otherwise the same). */
export const CLIENT_SCHEMES: Readonly<Record<EsdbClientName, { own: readonly string[]; rewritten: Readonly<Record<string, string>> }>> = {
  eventstore: { own: ['esdb', 'esdb+discover'], rewritten: { kurrentdb: 'esdb', 'kurrentdb+discover': 'esdb+discover' } },
  // The successor also parses esdb://, but warns on the console that it is deprecated.
  kurrentdb: { own: ['kurrentdb', 'kurrentdb+discover'], rewritten: { esdb: 'kurrentdb', 'esdb+discover': 'kurrentdb+discover' } },
};

/** The client package this process loaded, if any. */
let loaded: EsdbClientName | undefined;

/**
 * The package the process already loaded, when it is not `name`. The two packages cannot share a
 * process: their generated protobuf code registers the same message names
 * (`proto.event_store.client.streams.*`) in one global namespace, and the generated
 * serializers look nested messages up there at call time, so the package loaded last
 * serializes and parses for both. Their v1 protocols differ in a few messages (the
 * successor's `BatchAppendReq.Options` has `deadline_21100`, its `ReadResp.CaughtUp`,
 * `FellBehind` and `Checkpoint` have more fields), so 6.x's BatchAppend fails ("getDeadline21100
 * is not a function") once the successor is loaded, and the successor's subscriptions fail at
 * `caught_up` once 6.x is loaded after it.
 */
export function otherClientLoaded(name: EsdbClientName): EsdbClientName | undefined {
  return loaded !== undefined && loaded !== name ? loaded : undefined;
}

/**
 * Loads a client package. Its `connect` parses the URL (throwing on a bad one) and opens
 * connections only on first use.
 * @throws DriverNotInstalledError when the package (or the gRPC packages under it) is not installed.
 */
export async function loadClient(name: EsdbClientName): Promise<(url: string) => EsdbClient> {
  // The package itself first, then the file that imports it statically: Node 20 reports an error
  // thrown while a CommonJS package (both clients are) evaluates under a static import twice, to
  // the importer and as an unhandled rejection, which would crash the service; a direct
  // import() rejects once. The compat file then finds the package in the module cache.
  if (name === 'kurrentdb') {
    await loadClientPackage('@kurrent/kurrentdb-client', () => import('@kurrent/kurrentdb-client'));
  } else {
    await loadClientPackage('@eventstore/db-client', () => import('@eventstore/db-client'));
  }
  const compat = name === 'kurrentdb' ? await import('./clientCompat.kurrent.js') : await import('./clientCompat.js');
  loaded = name;
  return compat.connect;
}

/** What each client package requires at load time and an install can lack (a pruned or hand-made node_modules). */
const CLIENT_RUNTIME_PACKAGES = ['@grpc/grpc-js', 'google-protobuf'] as const;

async function loadClientPackage(packageName: string, load: () => Promise<unknown>): Promise<void> {
  try {
    await loadOptionalDriver(packageName, 'EventStoreDB', load);
  } catch (error) {
    const missing = CLIENT_RUNTIME_PACKAGES.find((dependency) => isMissingPackage(error, dependency));
    if (missing !== undefined) throw new DriverNotInstalledError(missing, 'EventStoreDB', { cause: error, details: { requiredBy: packageName } });
    throw error;
  }
}

/** gRPC status codes, so the adapter needs no gRPC import of its own. */
export const Grpc = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  ABORTED: 10,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;
