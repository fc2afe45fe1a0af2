/**
 * Client errors become the port's errors here, so nothing EventStoreDB-specific leaks to the
 * runtime. Every message names the redacted URL, never the password.
 */
import { PayloadTooLargeError, StoreUnavailableError, StreamVersionConflictError } from '../../core/errors.js';
import type { ExpectedRevision } from '../eventStore.js';
import type { EsdbClient } from './clientApi.js';
import type { EsdbConnection } from './connection.js';

export interface ErrorContext {
  readonly connection: EsdbConnection;
  /** The client whose errors these are (each package has its own error classes). */
  readonly client: Pick<EsdbClient, 'classifyError'>;
  /** What was attempted, for the message: 'append to saga-1', 'read $all', ... */
  readonly operation: string;
  readonly streamId?: string;
  readonly expected?: ExpectedRevision;
}

/** The port's error for a client error; other errors come back unchanged. */
export function toStoreError(error: unknown, context: ErrorContext): unknown {
  const classified = context.client.classifyError(error);
  const { connection } = context;
  switch (classified.kind) {
    case 'conflict':
      return conflict(context, classified.actual, error, classified.expected);
    case 'too_large':
      return new PayloadTooLargeError(
        `Append to ${context.streamId} exceeds the server's maximum append size of ${classified.maxAppendSize} bytes. Append fewer events at once, or store large payloads elsewhere and put a reference in the event.`,
        { cause: error, details: { streamId: context.streamId, maxAppendSize: classified.maxAppendSize } },
      );
    case 'access_denied':
      return new StoreUnavailableError(
        `EventStoreDB at ${connection.redacted} denied ${context.operation}. Check the username and password in the URL and the stream's access control lists.`,
        { cause: safeCause(error, connection), details: { url: connection.redacted } },
      );
    case 'unavailable':
      return unavailable(error, context);
    default:
      return error;
  }
}

/** The port's conflict error: `actual` is the stream's last revision, or 'no_stream'. */
export function conflict(context: ErrorContext, actual: number | 'no_stream', cause?: unknown, reportedExpected?: string | number): StreamVersionConflictError {
  const expected = context.expected ?? reportedExpected;
  return new StreamVersionConflictError(
    `Append to ${context.streamId} expected ${describeRevision(expected ?? 'any')}, but the stream is at ${describeRevision(actual)}: another writer got there first. Reload the stream, fold it and decide again.`,
    { ...(cause === undefined ? {} : { cause }), details: { streamId: context.streamId, expected, actual } },
  );
}

/** A StoreUnavailableError that says what to check. */
export function unavailable(error: unknown, context: ErrorContext): StoreUnavailableError {
  const { connection } = context;
  // gRPC messages come multi-line with an empty "Resolution note:" tail; one tidy sentence reads better.
  const reason = connection
    .redact(error instanceof Error ? error.message : String(error))
    .replace(/\s+/g, ' ')
    .replace(/\s*Resolution note:\s*$/, '')
    .replace(/[.\s]+$/, '');
  const hints = [
    'that the server is running and reachable at that host and port',
    connection.tls
      ? 'that the server has TLS on (for an --insecure node add tls=false to the URL) and its certificate is trusted (tlsCAFile)'
      : 'that the server runs without TLS (--insecure), as tls=false in the URL says',
    ...(connection.discover ? ['that the gossip seeds in the URL belong to the cluster'] : []),
  ];
  const check = hints.length > 1 ? `${hints.slice(0, -1).join(', ')} and ${hints.at(-1)}` : hints[0];
  return new StoreUnavailableError(`Cannot reach EventStoreDB at ${connection.redacted} (${context.operation}): ${reason}. Check ${check}.`, {
    cause: safeCause(error, connection),
    details: { url: connection.redacted, operation: context.operation },
  });
}

function describeRevision(value: string | number): string {
  if (value === 'no_stream') return 'no stream';
  if (value === 'any') return 'any revision';
  if (value === 'stream_exists') return 'an existing stream';
  return `revision ${value}`;
}

/** The cause, unless its message would leak the password (then a redacted copy). */
function safeCause(error: unknown, connection: EsdbConnection): unknown {
  if (!(error instanceof Error)) return error;
  const redacted = connection.redact(error.message);
  if (redacted === error.message) return error;
  const copy = new Error(redacted);
  copy.name = error.name;
  return copy;
}
