/**
 * Reads of whole streams that are asked for at the same moment travel as one statement: when a
 * worker restarts, or drives many sagas at once, each saga's load is a `readStream`, and one
 * query per stream made the round trips (and their socket writes) the largest cost of the
 * recovery: 10,000 queries for 10,000 recovered sagas. Requests queued in one tick, and those
 * that queue while the readers are busy, go together: one `unnest … WITH ORDINALITY` joined
 * laterally to each stream's own index range, so each stream still reads through its index,
 * in its order, with its own bounds. One request alone is sent as the single-stream query.
 *
 * Each read is one statement, so each stream's events come from one snapshot, as before; a
 * read asked after an append returned starts after it, so it sees it. A failed statement fails
 * every request in it: each caller's own retry then queues it again.
 */

/** One stream read, as `readStream` asks for it. */
export interface StreamRead {
  streamId: string;
  /** Inclusive bound: from this revision on, in the read's direction; null: from the start (or end). */
  fromRevision: number | null;
  /** At most this many events; null: all. */
  maxCount: number | null;
  backwards: boolean;
}

/** Runs the queries; the rows' `q` column says which request of a batch a row answers (from 1). */
export interface ReadRunner<TRow> {
  one(read: StreamRead): Promise<TRow[]>;
  many(reads: readonly StreamRead[], backwards: boolean): Promise<(TRow & { q: string | number })[]>;
}

interface Pending<TRow> extends StreamRead {
  resolve(rows: TRow[]): void;
  reject(error: unknown): void;
}

/** At most this many streams per statement (its arrays stay small; a long queue uses several readers). */
const MAX_STREAMS_PER_READ = 256;

export class StreamReadBatcher<TRow> {
  private readonly queue: Pending<TRow>[] = [];
  private active = 0;
  private scheduled = false;

  constructor(
    private readonly runner: ReadRunner<TRow>,
    private readonly readers = 4,
  ) {}

  read(request: StreamRead): Promise<TRow[]> {
    return new Promise<TRow[]>((resolve, reject) => {
      this.queue.push({ ...request, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => {
          this.scheduled = false;
          this.startReaders();
        });
      }
    });
  }

  private startReaders(): void {
    while (this.active < this.readers && this.queue.length > 0) {
      this.active++;
      void this.runReader();
    }
  }

  /** Sends batches until the queue is empty; requests that arrive meanwhile join the next. */
  private async runReader(): Promise<void> {
    try {
      for (;;) {
        const batch = this.take();
        if (batch.length === 0) return;
        await this.send(batch);
      }
    } finally {
      this.active--;
      if (this.queue.length > 0) this.startReaders();
    }
  }

  /** The next batch: requests of one direction (each direction is its own statement), in queue order. */
  private take(): Pending<TRow>[] {
    const head = this.queue[0];
    if (!head) return [];
    const batch: Pending<TRow>[] = [];
    const rest: Pending<TRow>[] = [];
    for (const request of this.queue) {
      if (request.backwards === head.backwards && batch.length < MAX_STREAMS_PER_READ) batch.push(request);
      else rest.push(request);
    }
    this.queue.length = 0;
    this.queue.push(...rest);
    return batch;
  }

  private async send(batch: Pending<TRow>[]): Promise<void> {
    try {
      if (batch.length === 1) {
        const only = batch[0] as Pending<TRow>;
        only.resolve(await this.runner.one(only));
        return;
      }
      const rows = await this.runner.many(batch, (batch[0] as Pending<TRow>).backwards);
      const answers = batch.map((): TRow[] => []);
      for (const row of rows) answers[Number(row.q) - 1]?.push(row);
      for (const [i, request] of batch.entries()) request.resolve(answers[i] as TRow[]);
    } catch (error) {
      for (const request of batch) request.reject(error);
    }
  }
}
