/**
 * The fixture's "database": an in-memory transaction log with EventStoreDB's append rules.
 *
 * What it reproduces, because the adapter relies on it:
 * - revisions 0, 1, 2, ... per stream; `$all` in commit order;
 * - positions are byte offsets into a log, so they have gaps, start after a header and are
 *   never 0 for an event; commit == prepare for every event (implicit transactions);
 * - the expected-revision check and the idempotency check of the server's index writer
 *   (CheckCommit): re-sending event ids already written at the same expected revision
 *   succeeds without writing; a partial match is a wrong expected version;
 * - system events interleaved in `$all`: a `$settings` event at start and, like the
 *   `$by_category` projection, a `$>` link in `$ce-<category>` after each user event.
 */

import { randomUUID } from 'node:crypto';

/** One stored record. Positions are bigint, as on the wire. */
export interface StoredEvent {
  readonly streamName: string;
  readonly revision: number;
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
  /** .NET ticks (100 ns) since the Unix epoch, as the server sends `created`. */
  readonly createdTicks: bigint;
  readonly position: bigint;
}

export interface ProposedEvent {
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
}

export type ExpectedState = { kind: 'any' } | { kind: 'no_stream' } | { kind: 'stream_exists' } | { kind: 'revision'; revision: number };

export type AppendOutcome =
  /** `position` is the last event's; `transactionPosition` the first's. Both absent when idempotent, like older servers. */
  { kind: 'success'; currentRevision: number; position?: bigint; transactionPosition?: bigint } | { kind: 'wrong_expected_version'; currentRevision: number };

export interface EsdbLogOptions {
  /** Write `$>` links to `$ce-<category>` like the `$by_category` system projection. @default true */
  linkCategories?: boolean;
  /**
   * Start the log at commit position 0, with no `$settings` record first, so the first event
   * appended is at position 0 (to test that readers tell position 0 from a missing one).
   * @default false
   */
  firstEventAtZero?: boolean;
}

/** Where the first record goes: real logs start with an epoch record, so no event is at 0. */
const FIRST_POSITION = 256n;

export class EsdbLog {
  private readonly records: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly positions = new Set<bigint>();
  private readonly listeners = new Set<() => void>();
  private nextPosition = FIRST_POSITION;
  private readonly linkCategories: boolean;

  constructor(options: EsdbLogOptions = {}) {
    this.linkCategories = options.linkCategories ?? true;
    if (options.firstEventAtZero) {
      this.nextPosition = 0n;
      return;
    }
    const settings = Buffer.from(JSON.stringify({ $userStreamAcl: { $r: '$all' } }));
    this.write('$settings', [{ id: randomUUID(), type: '$settings', contentType: 'application/json', data: settings, customMetadata: new Uint8Array() }]);
  }

  /** Every record of `$all`, in commit order. Do not mutate. */
  get all(): readonly StoredEvent[] {
    return this.records;
  }

  stream(name: string): readonly StoredEvent[] | undefined {
    return this.streams.get(name);
  }

  /** True for the position of a record or the end of the log: the positions a reader may start from. */
  isValidPosition(position: bigint): boolean {
    return position === this.nextPosition || this.positions.has(position);
  }

  /** Index in `all` of the first record at or after `position`. */
  indexAtOrAfter(position: bigint): number {
    let low = 0;
    let high = this.records.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.records[mid]!.position < position) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Calls `listener` after every successful write; returns the unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(streamName: string, expected: ExpectedState, events: readonly ProposedEvent[]): AppendOutcome {
    const existing = this.streams.get(streamName) ?? [];
    const current = existing.length - 1;
    const check = checkCommit(existing, expected, events);
    if (check.kind === 'wrong_expected_version') return { kind: 'wrong_expected_version', currentRevision: current };
    if (check.kind === 'idempotent') return { kind: 'success', currentRevision: check.lastRevision };
    if (events.length === 0) return { kind: 'success', currentRevision: current };
    const written = this.write(streamName, events);
    if (this.linkCategories) this.writeCategoryLinks(written);
    for (const listener of [...this.listeners]) listener();
    return {
      kind: 'success',
      currentRevision: written.at(-1)!.revision,
      position: written.at(-1)!.position,
      transactionPosition: written[0]!.position,
    };
  }

  private write(streamName: string, events: readonly ProposedEvent[]): StoredEvent[] {
    const stream = this.streams.get(streamName) ?? [];
    this.streams.set(streamName, stream);
    const createdTicks = BigInt(Date.now()) * 10_000n;
    const written = events.map((event) => {
      const stored: StoredEvent = { ...event, streamName, revision: stream.length, createdTicks, position: this.nextPosition };
      stream.push(stored);
      this.records.push(stored);
      this.positions.add(stored.position);
      // A rough record size, so positions have realistic gaps.
      const size = 88 + streamName.length + event.type.length + event.data.length + event.customMetadata.length;
      this.nextPosition += BigInt(Math.ceil(size / 8) * 8);
      return stored;
    });
    return written;
  }

  private writeCategoryLinks(written: readonly StoredEvent[]): void {
    for (const event of written) {
      const dash = event.streamName.indexOf('-');
      if (event.streamName.startsWith('$') || dash <= 0) continue;
      const link = Buffer.from(`${event.revision}@${event.streamName}`);
      this.write(`$ce-${event.streamName.slice(0, dash)}`, [
        { id: randomUUID(), type: '$>', contentType: 'application/octet-stream', data: link, customMetadata: new Uint8Array() },
      ]);
    }
  }
}

type CommitCheck = { kind: 'write' } | { kind: 'idempotent'; lastRevision: number } | { kind: 'wrong_expected_version' };

/**
 * The server's commit check: write when the stream is where the writer expects; when the
 * writer expects an earlier revision and the events after it carry exactly the proposed ids,
 * the write already happened (idempotent); otherwise the expected version is wrong.
 */
function checkCommit(existing: readonly StoredEvent[], expected: ExpectedState, events: readonly ProposedEvent[]): CommitCheck {
  const current = existing.length - 1;
  switch (expected.kind) {
    case 'any': {
      // The server looks the first id up in its recent-commits cache; a scan of the stream is the same answer.
      const first = events[0] === undefined ? -1 : existing.findIndex((stored) => stored.id === events[0]!.id);
      return first < 0 ? { kind: 'write' } : compareIds(existing, first, events);
    }
    case 'stream_exists':
      return current < 0 ? { kind: 'wrong_expected_version' } : { kind: 'write' };
    case 'no_stream':
      return current < 0 ? { kind: 'write' } : compareIds(existing, 0, events);
    case 'revision':
      if (expected.revision === current) return { kind: 'write' };
      if (expected.revision > current || events.length === 0) return { kind: 'wrong_expected_version' };
      return compareIds(existing, expected.revision + 1, events);
  }
}

function compareIds(existing: readonly StoredEvent[], from: number, events: readonly ProposedEvent[]): CommitCheck {
  if (events.length === 0) return { kind: 'wrong_expected_version' };
  for (let i = 0; i < events.length; i++) {
    // A first-id mismatch and a partial match ("corrupted idempotency") are both reported as a wrong expected version.
    if (existing[from + i]?.id !== events[i]!.id) return { kind: 'wrong_expected_version' };
  }
  return { kind: 'idempotent', lastRevision: from + events.length - 1 };
}
