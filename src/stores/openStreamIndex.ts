/**
 * The open-stream index: an optional capability of a store. The store keeps, in each append's
 * own transaction, the set of streams that are "open" — which appends open or close a stream
 * is decided by a planner its user installs (the runtime: a saga stream is open until its
 * terminal event). The store knows nothing of sagas; it only applies the planner's verdict.
 * It lets a restarted engine find its unfinished sagas by reading the open ones only, instead
 * of the whole log (the issue-10 "saga directory").
 */
import type { NewEvent } from './eventStore.js';

/** What one append does to its stream's entry: open it (kept if already open), close it, or nothing. */
export type OpenStreamChange = 'open' | 'close' | undefined;

/** Decides an append's change from the events appended (pure, fast: it runs inside the commit). */
export type OpenStreamPlanner = (streamId: string, events: readonly NewEvent[]) => OpenStreamChange;

/** One page of open streams, oldest first. */
export interface OpenStreamsPage {
  /**
   * False when the store holds history written before it kept the index (an upgraded file):
   * the page is then empty, and the caller must scan the log once and `adopt` what it found.
   */
  complete: boolean;
  /** Open stream ids, in the order they were opened. */
  streamIds: string[];
  /** Pass as `after` for the next page; undefined on the last page. */
  next: number | undefined;
  /**
   * A position of the log read in the same snapshot as this page: every append after it is
   * delivered by `subscribeToAll({ after: position })`, every stream open at it is listed.
   */
  position: number;
  /** From `claim` only: some open streams after the cursor were left out because another owner's claim holds them. */
  heldByOthers?: boolean;
}

/** What {@link OpenStreamIndex.claim} takes. */
export interface ClaimOpenStreamsOptions {
  /** Only streams whose id starts with this. */
  streamPrefix: string;
  /** At most this many entries. */
  limit: number;
  /** Who claims (a worker id). */
  owner: string;
  /** How long the claim holds, in ms, before the entries are claimable by others again. */
  leaseMs: number;
  /** The cursor: only entries opened after it (a page's `next`). @default 0 */
  after?: number;
  /**
   * Only entries claimed before whose claim ran out, and `owner`'s own: never-claimed entries
   * are left alone (a sweep for the work of dead claimers, not a grab of everything). @default false
   */
  expiredOnly?: boolean;
  /**
   * The caller's time, ms since the epoch: claims run out by the claimers' clock (one clock
   * for all of them, so workers on hosts with skewed clocks only misjudge advice).
   */
  now: number;
}

/** The capability, on stores that have it (`store.openStreams`). */
export interface OpenStreamIndex {
  /** Installs the planner; appends made before this (or by code without one) change nothing. */
  usePlanner(planner: OpenStreamPlanner): void;
  /** Open streams whose id starts with `streamPrefix`, oldest first, at most `limit`, opened after the cursor `after`. */
  list(options: { streamPrefix: string; limit: number; after?: number }): Promise<OpenStreamsPage>;
  /**
   * Completes the index of an upgraded store after the caller scanned the log up to
   * `scannedTo` and found these streams open: each is added unless it has events after
   * `scannedTo` (those appends kept its entry themselves); then the index is complete.
   */
  adopt(open: readonly { streamId: string; openedAt: number }[], scannedTo: number): Promise<void>;
  /**
   * Optional. `list`, where each entry listed is also claimed by `owner` for `leaseMs`: entries
   * another owner claimed and whose claim has not run out are left out, so workers that start
   * at once get disjoint pages and split the open streams instead of all taking all of them.
   * `owner`'s own claims are listed again and renewed. A claim is advice, not a lock: it
   * changes no stream, and appends still open and close claimed entries (fencing stays the
   * streams' expected revision). A claim that runs out (its owner died) is claimable again.
   */
  claim?(options: ClaimOpenStreamsOptions): Promise<OpenStreamsPage>;
}
