/**
 * The console's read model: one summary per saga, folded from the store's all-events
 * subscription (catch-up, then live), so the list and its live updates come from one source.
 * A stream whose event cannot be parsed stays listed as unreadable instead of hiding the rest.
 */
import type { SagaEvent } from '../core/events.js';
import { parseSagaEvent } from '../core/events.js';
import { evolve } from '../core/evolve.js';
import type { SagaState } from '../core/sagaState.js';
import { SAGA_STREAM_PREFIX, sagaIdOf } from '../runtime/sagaStream.js';
import type { EventStore, RecordedEvent, Subscription } from '../stores/eventStore.js';

/** What the console shows of one saga in a list. */
export interface SagaSummary {
  /** The saga's id. */
  sagaId: string;
  /** The definition's name, '' when unknown (no SagaStarted, unreadable). */
  saga: string;
  /** The definition's version, 0 when unknown. */
  version: number;
  /** The saga's status, or 'unreadable' / 'no SagaStarted'. */
  status: string;
  /** Parked: an operator must look, then resume it. */
  needsAttention: boolean;
  /** Steps in the definition. */
  steps: number;
  /** Steps that succeeded. */
  succeeded: number;
  /** Steps skipped as optional. */
  skipped: number;
  /** Compensations planned, null when the saga never compensated. */
  compensationPlanned: number | null;
  /** Compensations done. */
  compensated: number;
  /** Events in the stream. */
  events: number;
  /** Revision of the stream's last event. */
  revision: number;
  /** When it started, ms since the epoch (0 when unknown). */
  startedAt: number;
  /** The latest `at` of its events, ms since the epoch. */
  updatedAt: number;
  /** Why it did not complete, null while nothing failed for good. */
  failure: { step: string | null; code: string; message: string } | null;
  /** Why the stream could not be read, null when it could. */
  error: string | null;
}

interface Entry {
  sagaId: string;
  /** Global position of its first event: the list's order. */
  firstPosition: number;
  state: SagaState | undefined;
  events: number;
  revision: number;
  error: string | null;
}

/** Listener of {@link SagaDirectory.onChange}. */
export type SagaChangeListener = (summary: SagaSummary, event: { type: string; revision: number }) => void;

function summaryOf(entry: Entry): SagaSummary {
  const s = entry.state;
  const failure = s?.failure ? { step: s.failure.step ?? null, code: s.failure.code, message: s.failure.message } : null;
  return {
    sagaId: entry.sagaId,
    saga: s?.saga ?? '',
    version: s?.version ?? 0,
    status: entry.error ? 'unreadable' : (s?.status ?? 'no SagaStarted'),
    needsAttention: s?.needsAttention ?? false,
    steps: s?.steps.length ?? 0,
    succeeded: s?.succeeded.length ?? 0,
    skipped: s?.steps.filter((step) => step.status === 'skipped').length ?? 0,
    compensationPlanned: s?.compensation ? s.compensation.plan.length : null,
    compensated: s?.compensation?.done.length ?? 0,
    events: entry.events,
    revision: entry.revision,
    startedAt: s?.startedAt ?? 0,
    updatedAt: s?.updatedAt ?? 0,
    failure,
    error: entry.error,
  };
}

/** Filters of {@link SagaDirectory.list}. */
export interface SagaListQuery {
  /** Only sagas with this status ('failed', 'running', …, or 'attention' for parked ones). */
  status?: string;
  /** Only sagas of this definition name. */
  saga?: string;
  /** Most summaries to return. @default 100 */
  limit?: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

/** A page of {@link SagaDirectory.list}. */
export interface SagaListPage {
  /** Newest first. */
  sagas: SagaSummary[];
  /** Pass as `cursor` for the next page; null on the last one. */
  next: string | null;
  /** How many sagas match the filters in all. */
  total: number;
}

/**
 * Summaries of every saga in a store, kept current by a subscription. Call {@link ready}
 * before the first read; {@link close} stops the subscription (not the store).
 */
export class SagaDirectory {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<SagaChangeListener>();
  private subscription: Subscription | undefined;
  private lastPosition = 0;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly caughtUp: Promise<void>;
  private markCaughtUp: () => void = () => {};

  /** Starts following `store`'s saga streams from the beginning. */
  constructor(
    private readonly store: EventStore,
    private readonly onProblem: (message: string) => void = () => {},
  ) {
    this.caughtUp = new Promise((resolve) => {
      this.markCaughtUp = resolve;
    });
    this.follow();
  }

  /** Resolves once every event stored when the directory started has been folded. */
  ready(): Promise<void> {
    return this.caughtUp;
  }

  private follow(): void {
    if (this.closed) return;
    this.subscription = this.store.subscribeToAll({
      after: this.lastPosition,
      streamPrefix: SAGA_STREAM_PREFIX,
      onEvent: (event) => this.apply(event),
      onCaughtUp: () => this.markCaughtUp(),
      onError: (error) => {
        if (this.closed) return;
        this.onProblem(`the store's subscription stopped (${error instanceof Error ? error.message : String(error)}); following again in 1 s`);
        this.retry = setTimeout(() => this.follow(), 1_000);
      },
    });
  }

  private apply(recorded: RecordedEvent): void {
    this.lastPosition = recorded.position;
    const sagaId = sagaIdOf(recorded.streamId);
    let entry = this.entries.get(sagaId);
    if (!entry) {
      entry = { sagaId, firstPosition: recorded.position, state: undefined, events: 0, revision: -1, error: null };
      this.entries.set(sagaId, entry);
    }
    entry.events += 1;
    entry.revision = recorded.revision;
    if (entry.error === null) {
      let event: SagaEvent;
      try {
        event = parseSagaEvent(recorded, { streamId: recorded.streamId, revision: recorded.revision });
        entry.state = evolve(entry.state, event);
      } catch (error) {
        entry.error = error instanceof Error ? error.message : String(error);
        entry.state = undefined;
      }
    }
    const summary = summaryOf(entry);
    for (const listener of this.listeners) listener(summary, { type: recorded.type, revision: recorded.revision });
  }

  /** Calls `listener` after every event folded; returns the function that stops it. */
  onChange(listener: SagaChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One saga's summary, undefined when the store has no such stream (yet). */
  get(sagaId: string): SagaSummary | undefined {
    const entry = this.entries.get(sagaId);
    return entry ? summaryOf(entry) : undefined;
  }

  /** The distinct saga names seen, sorted. */
  sagaNames(): string[] {
    return [...new Set([...this.entries.values()].map((e) => e.state?.saga).filter((n): n is string => typeof n === 'string' && n !== ''))].sort();
  }

  private matching(query: Pick<SagaListQuery, 'status' | 'saga'>): Entry[] {
    return [...this.entries.values()]
      .filter((e) => {
        const summary = summaryOf(e);
        if (query.saga && summary.saga !== query.saga) return false;
        if (query.status === 'attention') return summary.needsAttention && summary.status === 'failed';
        return !query.status || summary.status === query.status;
      })
      .sort((a, b) => b.firstPosition - a.firstPosition);
  }

  /** One page of summaries, newest first; the cursor is the position of the page's last saga. */
  list(query: SagaListQuery = {}): SagaListPage {
    const limit = query.limit ?? 100;
    const before = query.cursor === undefined ? Number.POSITIVE_INFINITY : Number(query.cursor);
    const matching = this.matching(query);
    const rest = matching.filter((e) => e.firstPosition < before);
    const page = rest.slice(0, limit);
    const last = page.at(-1);
    return { sagas: page.map(summaryOf), next: rest.length > limit && last ? String(last.firstPosition) : null, total: matching.length };
  }

  /** Stops following the store. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.listeners.clear();
    await this.subscription?.unsubscribe().catch(() => {});
  }
}
