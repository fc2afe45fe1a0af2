/**
 * What every command shares: the `--store` and `--json` options, validating parsers for option
 * values (a bad value is a usage error, exit 2, with a message), and opening a store around a
 * command with its errors mapped to exit codes.
 */
import { InvalidArgumentError, Option } from 'commander';
import { errorInfo } from '../core/classify.js';
import { ErrorCode } from '../core/errors.js';
import type { EventStore } from '../stores/eventStore.js';
import { redactUrl, SUPPORTED_STORE_URLS } from '../stores/storeUrl.js';
import type { CliIo } from './cliIo.js';
import { ExitCode } from './cliIo.js';

/** The statuses `list --status` accepts: a saga's status, `parked` for a failed one, `unreadable`. */
export const LIST_STATUSES = ['running', 'compensating', 'completed', 'compensated', 'failed', 'parked', 'unreadable'] as const;
/** One of {@link LIST_STATUSES}. */
export type ListStatus = (typeof LIST_STATUSES)[number];

/** The formats of `show`. */
export const SHOW_FORMATS = ['text', 'json', 'mermaid', 'html'] as const;
/** One of {@link SHOW_FORMATS}. */
export type ShowFormat = (typeof SHOW_FORMATS)[number];

/** `--store <url>` (or SAGAFLOW_STORE), required. */
export function storeOption(): Option {
  return new Option('--store <url>', `the event store (${SUPPORTED_STORE_URLS.join(', ')})`).env('SAGAFLOW_STORE').makeOptionMandatory();
}

/** `--json`: machine-readable output on stdout. */
export function jsonOption(): Option {
  return new Option('--json', 'print JSON on stdout instead of text');
}

/** A parser for an integer ≥ `min` (commander reports a bad value and exits 2). */
export function integerAtLeast(min: number): (value: string) => number {
  return (value) => {
    const n = /^[+]?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer ≥ ${min}.`);
    return n;
  };
}

/** A parser that accepts one of `values` (comma-separated when `many`). */
export function oneOf<T extends string>(values: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(values as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${values.join(', ')}.`);
    return value as T;
  };
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `--since`: an ISO-8601 time (`2026-12-01`, `2026-12-01T10:00:00Z`) or an age (`30s`, `15m`,
 * `2h`, `7d`) counted back from `now`. Returns ms since the epoch.
 */
export function parseSince(value: string, now: number = Date.now()): number {
  const age = /^(\d+)([smhd])$/.exec(value.trim());
  if (age) return now - Number(age[1]) * (UNITS[age[2] ?? 's'] ?? 1_000);
  const at = /^\d{4}-\d{2}-\d{2}/.test(value.trim()) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(at)) throw new InvalidArgumentError('must be an ISO-8601 time (2026-12-01T10:00:00Z) or an age such as 30s, 15m, 2h or 7d.');
  return at;
}

/** `--input <json>`: any JSON value. */
export function parseJson(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    throw new InvalidArgumentError(`must be JSON (${(error as Error).message}), e.g. '{"orderId":"o-1"}'.`);
  }
}

/** How opening the store and running a command map to exit codes. */
export interface WithStoreOptions {
  /** Inspection: open without creating or migrating anything, and refuse a missing store. */
  readOnly: boolean;
}

/** Codes that report a finding about the stored sagas rather than a usage error. */
const FINDINGS: ReadonlySet<string> = new Set([ErrorCode.EventCorrupted, ErrorCode.AppendRefused]);

/** The exit code of an error thrown while a command ran: 1 for a finding, else 2. */
export function exitCodeOf(error: unknown): ExitCode {
  return FINDINGS.has(errorInfo(error).code) ? ExitCode.Broken : ExitCode.Error;
}

/** Opens the store, runs the command, closes the store, and sets `process.exitCode`. */
export async function withStore(url: string, options: WithStoreOptions, io: CliIo, command: (store: EventStore) => Promise<ExitCode>): Promise<void> {
  let store: EventStore | undefined;
  try {
    // Loaded here, not up front: usage errors and --help need no store code.
    const { createStore } = await import('../stores/createStore.js');
    store = await createStore(url, options.readOnly ? { readOnly: true } : {});
    // SAGAFLOW_CODEC: read (and write) the payloads with the engines' codec.
    const { withConfiguredCodec } = await import('./codecOption.js');
    store = await withConfiguredCodec(store);
    process.exitCode = await command(store);
  } catch (error) {
    const info = errorInfo(error);
    // The URL may hold a password: store errors never show it, and we show it redacted.
    const where = info.code.startsWith('STORE_') ? ` (store ${redactUrl(url)})` : '';
    io.err(`sagaflow: ${info.code === 'ERROR' ? '' : `${info.code}: `}${info.message}${where}`);
    process.exitCode = exitCodeOf(error);
  } finally {
    await store?.close().catch(() => {});
  }
}
