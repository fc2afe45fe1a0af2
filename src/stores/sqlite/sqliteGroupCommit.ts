/**
 * Group commit for the SQLite store: the appends submitted during one turn of the event loop
 * are committed together, in one write transaction and so one fsync, instead of one each.
 * better-sqlite3 is synchronous, so nothing can join a commit while it runs; what one commit
 * can carry is what the process produced since the previous one, and a flush once per turn
 * collects exactly that.
 */
import type { AppendResult, EncodedEvent, ExpectedRevision, NewEvent } from '../eventStore.js';

/** One append waiting for the next commit. */
export interface AppendRequest {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
  readonly expected: ExpectedRevision;
  /** `events` as JSON, one entry per event (encodeEvents). */
  readonly encoded: readonly EncodedEvent[];
}

/** What became of one append of a committed batch: its result, or the error that rejects it alone. */
export type AppendOutcome = { ok: true; result: AppendResult } | { ok: false; error: unknown };

/**
 * Commits a batch in one transaction and returns one outcome per request, in order. Throws
 * when the transaction as a whole failed (nothing of the batch was stored).
 */
export type CommitBatch = (requests: readonly AppendRequest[]) => AppendOutcome[];

export interface GroupCommitOptions {
  commitBatch: CommitBatch;
  /** Called after a commit that stored or confirmed at least one append. */
  onCommitted(): void;
  /**
   * Most appends in one transaction; a larger queue is committed as several transactions in
   * the same flush, so that one transaction never holds the file's write lock for long.
   */
  maxBatch: number;
}

export interface GroupCommit {
  /** Queues an append for the commit at the end of this turn; settles once that commit is durable. */
  submit(request: AppendRequest): Promise<AppendResult>;
  /** Commits everything queued now, synchronously (close() calls it so that no append is left hanging). */
  flush(): void;
}

interface Waiting {
  request: AppendRequest;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

export function createGroupCommit({ commitBatch, onCommitted, maxBatch }: GroupCommitOptions): GroupCommit {
  let queue: Waiting[] = [];
  let scheduled = false;

  const flush = (): void => {
    scheduled = false;
    while (queue.length > 0) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
      let outcomes: AppendOutcome[];
      try {
        outcomes = commitBatch(batch.map((waiting) => waiting.request));
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
        continue;
      }
      let stored = false;
      batch.forEach((waiting, i) => {
        const outcome = outcomes[i];
        if (outcome?.ok) {
          stored = true;
          waiting.resolve(outcome.result);
        } else {
          waiting.reject(outcome ? outcome.error : new Error('group commit returned no outcome for an append'));
        }
      });
      if (stored) onCommitted();
    }
  };

  return {
    submit(request) {
      return new Promise<AppendResult>((resolve, reject) => {
        queue.push({ request, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          // setImmediate, not a microtask: it runs after every callback and promise
          // continuation of this turn, so appends issued by continuations of the previous
          // commit's results join the same batch; a lone appender waits for no timer.
          setImmediate(flush);
        }
      });
    },
    flush,
  };
}
