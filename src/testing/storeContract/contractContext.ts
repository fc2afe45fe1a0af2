/**
 * What every group of contract cases shares: the store under test and small helpers that keep
 * each case on its own streams, so the suite can run against a shared server.
 */
import { v7 } from 'uuid';
import type { EventStore, Json, NewEvent, RecordedEvent } from '../../stores/eventStore.js';

/** Options of `describeEventStoreContract`. */
export interface EventStoreContractOptions {
  /**
   * Also run the large case (100,000 events by default). Opt-in, passed explicitly by the
   * adapter's test file, because it takes seconds to minutes depending on the store.
   * @default false
   */
  large?: boolean;
  /** Events the large case appends. @default 100_000 */
  largeEventCount?: number;
  /** Timeout of the large case, in milliseconds. @default 300_000 */
  largeTimeoutMs?: number;
  /** The store's event size limit in bytes, for the oversized-event cases. @default 1 MiB (DEFAULT_MAX_EVENT_BYTES) */
  maxEventBytes?: number;
  /** How long cases wait for a subscription to deliver, in milliseconds. @default 10_000 */
  deliveryTimeoutMs?: number;
  /**
   * The store keeps an open-stream index (`store.openStreams`): run its cases. The suite also
   * checks the store has one exactly when this says so. @default false
   */
  openStreams?: boolean;
  /**
   * Its open-stream index can claim (`openStreams.claim`): run the claim cases. Checked like
   * `openStreams`. @default false
   */
  openStreamClaims?: boolean;
}

/** Handed to every group of cases. */
export interface ContractContext {
  /** The store shared by the cases of this suite (opened in beforeAll, closed in afterAll). */
  readonly store: EventStore;
  /** Opens another store object (for the close cases); the case closes it. */
  makeStore(): Promise<EventStore>;
  readonly options: Required<EventStoreContractOptions>;
}

/** A stream name no other case (or concurrent run) uses: `saga-<uuid v7>`, plus a suffix. */
export function uniqueStream(suffix = ''): string {
  return `saga-${v7()}${suffix}`;
}

/** A new event with a fresh v7 id. */
export function newEvent(type = 'TestEvent', data: Json = {}, metadata?: Record<string, Json>): NewEvent {
  return metadata === undefined ? { id: v7(), type, data } : { id: v7(), type, data, metadata };
}

/** `n` new events typed `${type}` with data `{ i }`. */
export function newEvents(n: number, type = 'TestEvent'): NewEvent[] {
  return Array.from({ length: n }, (_, i) => newEvent(type, { i }));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until true; fails with `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Appends a marker to a stream of its own and returns its position: "everything after now". */
export async function markPosition(store: EventStore): Promise<number> {
  return (await store.append(uniqueStream('-marker'), [newEvent('Marker')], 'no_stream')).position;
}

/** Reads every event after `after` (optionally under a prefix), page by page. */
export async function readAllPaged(store: EventStore, after: number, streamPrefix?: string, pageSize = 1_000): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after, streamPrefix, maxCount: pageSize });
    out.push(...page);
    if (page.length < pageSize) return out;
    after = page.at(-1)!.position;
  }
}

/** Asserts positions strictly increase. */
export function isStrictlyIncreasing(values: readonly number[]): boolean {
  return values.every((value, i) => i === 0 || value > values[i - 1]!);
}
