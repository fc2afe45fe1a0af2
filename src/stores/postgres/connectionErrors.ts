/**
 * Telling "the server went away" apart from "the statement failed", retrying the former, and
 * describing it to a human without leaking the password.
 */
import { StoreUnavailableError } from '../../core/errors.js';
import { DEFAULT_INFRASTRUCTURE_POLICY, infrastructureDelay, type InfrastructurePolicy } from '../../core/infrastructurePolicy.js';
import { redactUrl } from '../storeUrl.js';
import { describeHosts, formatHost, parseHostList, type PostgresHost } from './hostList.js';

/** Node socket errors that mean the connection (not the statement) failed. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

/**
 * SQLSTATEs after which running the whole transaction again is safe and likely to work:
 * connection exceptions (08), shutdown/restart (57P01-57P03), serialization failure and deadlock.
 */
function isRetryableSqlState(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '40001' || code === '40P01';
}

/** True when the operation failed because of the connection or a transient server state. */
export function isRetryable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || isRetryableSqlState(code))) return true;
  // pg reports a socket closed mid-query without a code.
  return typeof message === 'string' && /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect/i.test(message);
}

/** The connection string with its password replaced by `***`, safe for logs and errors. */
export function redactConnectionString(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    // A multi-host URL (not a WHATWG URL), or the key=value form (libpq style).
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(connectionString)
      ? redactUrl(connectionString)
      : connectionString.replace(/(password\s*=\s*)('[^']*'|\S+)/gi, '$1***');
  }
}

/** The hosts of a multi-host URL, else undefined (also for a malformed one: this is for messages). */
function hostsOf(connectionString: string): readonly PostgresHost[] | undefined {
  try {
    return parseHostList(connectionString)?.hosts;
  } catch {
    return undefined;
  }
}

/** Host and port from the connection string (or the store's host list), for the "check that..." hint. */
function describeTarget(connectionString: string, hosts: readonly PostgresHost[] | undefined): string {
  try {
    const list = hosts ?? hostsOf(connectionString);
    if (list && list.length > 1) return `one of ${describeHosts(list)}`;
    if (list?.[0]) return describeHosts(list);
    const url = new URL(connectionString);
    return `${url.hostname || 'localhost'}:${url.port || '5432'}`;
  } catch {
    return 'the configured host and port';
  }
}

/**
 * Wraps a connection failure into a StoreUnavailableError that says what to check. `hosts`:
 * the store's host list, when it has several (or the `hosts` option replaced the URL's host).
 */
export function unavailable(connectionString: string, error: unknown, doing: string, hosts?: readonly PostgresHost[]): StoreUnavailableError {
  const safe = redactConnectionString(connectionString);
  const reason = error instanceof Error ? error.message : String(error);
  const several = (hosts ?? hostsOf(connectionString) ?? []).length > 1;
  return new StoreUnavailableError(
    `PostgreSQL at ${safe} is unavailable while ${doing}: ${reason}. ` +
      `Check that the server is running and accepts TCP connections on ${describeTarget(connectionString, hosts)} ` +
      `(listen_addresses, port, firewall), ${several ? 'that one of them is the primary (not in recovery: a failover may still be promoting a standby), ' : ''}` +
      `and that the user, password and database in the connection string are right (pg_hba.conf).`,
    { cause: error, details: { url: safe, ...(hosts ? { hosts: hosts.map(formatHost) } : {}) } },
  );
}

export interface RetryOptions {
  /** Give up after this long since the first failure. */
  budgetMs: number;
  /** Stop retrying when this returns true (the store closed). */
  stopped(): boolean;
  /** The backoff: the runtime's infrastructure policy maths. @default DEFAULT_INFRASTRUCTURE_POLICY */
  policy?: InfrastructurePolicy;
  /** Clock and randomness, injectable like the runtime's. @default Date.now, Math.random */
  now?: () => number;
  random?: () => number;
  /** Told about each retry before its delay (the store's retry observers). */
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
  /** Which failures are retried. @default isRetryable */
  retryable?(error: unknown): boolean;
}

export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions, onGiveUp: (error: unknown) => Error): Promise<T> {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const policy = options.policy ?? DEFAULT_INFRASTRUCTURE_POLICY;
  let firstFailure: number | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!(options.retryable ?? isRetryable)(error)) throw error;
      firstFailure ??= now();
      if (options.stopped() || now() - firstFailure >= options.budgetMs) throw onGiveUp(error);
      const delay = infrastructureDelay(policy, attempt, random());
      options.onRetry?.(error, attempt, delay);
      await sleep(delay);
    }
  }
}

/** A promise that resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
