/**
 * `sagaflow verify`: checks every saga stream of a store — every state along the stream is
 * `valid`, and the last one can continue (`canContinue`) — naming each broken stream and the
 * revision where each problem first appears.
 *
 * Built for large stores: the log is read once, in position order, with the store's batched
 * `readAll` (saga streams only, pages of 5,000 events), and each stream is folded as its events
 * arrive. Only the folded state of an unfinished stream is kept; a stream that ended (completed
 * or compensated) keeps its verdict only, and is read again by itself in the rare case that
 * more events follow its end. An event whose JSON cannot be read is reported at its stream and
 * revision, and the scan goes on after it.
 */
import { modelForState } from '../definition/childStep.js';
import { isSagaError } from '../core/errors.js';
import { parseSagaEvent } from '../core/events.js';
import { evolve } from '../core/evolve.js';
import { canContinue, violations } from '../core/invariants.js';
import { DEFAULT_COMPENSATION_RETRY_POLICY, DEFAULT_RETRY_POLICY } from '../core/retryPolicy.js';
import { DEFAULT_CHECKPOINT_EVERY, type SagaModel } from '../core/sagaModel.js';
import type { SagaState } from '../core/sagaState.js';
import { SAGA_STREAM_PREFIX, sagaIdOf, sagaStreamId } from '../runtime/sagaStream.js';
import type { EventStore, RecordedEvent } from '../stores/eventStore.js';

/** One problem of a stream, at the revision where it first appears (null: the stream as a whole). */
export interface StreamProblem {
  /** The revision of the first state that shows it, or null. */
  revision: number | null;
  /** What is wrong. */
  problem: string;
}

/** The verdict on one saga stream. */
export interface StreamVerdict {
  /** The saga's id. */
  sagaId: string;
  /** Its stream, `saga-<sagaId>`. */
  streamId: string;
  /** The definition's name, null when the stream has no readable SagaStarted. */
  saga: string | null;
  /** The definition's version, null likewise. */
  version: number | null;
  /** The last state's status, or `unreadable`. */
  status: string;
  /** Parked and waiting for an operator. */
  needsAttention: boolean;
  /** Events in the stream. */
  events: number;
  /** Every state along the stream satisfies the invariants (and every event could be read). */
  valid: boolean;
  /** The last state is a consistent terminal one, or the saga has something to do next. */
  canContinue: boolean;
  /** Checked against the saga's definition (retry budgets too), not only its recorded shape. */
  withDefinition: boolean;
  /** Empty when the stream is sound. */
  problems: StreamProblem[];
}

/** Options of {@link verifyStreams}. */
export interface VerifyOptions {
  /** Definitions (`--sagas`): attempts are checked against their retry policies, and canContinue uses them. @default none */
  models?: readonly SagaModel[];
  /** The time canContinue decides at, ms since the epoch. @default Date.now() */
  now?: number;
  /** Events per `readAll` page. @default 5_000 */
  pageSize?: number;
}

interface Tracker {
  streamId: string;
  state: SagaState | undefined;
  events: number;
  nextRevision: number;
  firstSeen: Map<string, number>;
  problems: StreamProblem[];
  unreadable: boolean;
  model: SagaModel | undefined;
  /** Set once the stream ended completed or compensated: its state is dropped. */
  done: StreamVerdict | undefined;
}

/**
 * Without the definition, canContinue decides with the recorded step shapes and the default
 * policies; attempts are then not checked against a budget.
 */
function shapeModel(state: SagaState): SagaModel {
  return {
    name: state.saga,
    version: state.version,
    checkpointEvery: DEFAULT_CHECKPOINT_EVERY,
    steps: state.steps.map(({ name, optional, checkpoint, compensable }) => ({
      name,
      optional,
      checkpoint,
      compensable,
      retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: Number.MAX_SAFE_INTEGER, maxElapsedMs: Number.MAX_SAFE_INTEGER },
      compensationRetry: { ...DEFAULT_COMPENSATION_RETRY_POLICY, maxAttempts: Number.MAX_SAFE_INTEGER, maxElapsedMs: Number.MAX_SAFE_INTEGER },
    })),
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The position of an event the store could not decode, when `error` says so. */
function corruptPosition(error: unknown): { position: number; streamId: string; revision: number } | undefined {
  if (!isSagaError(error) || error.code !== 'EVENT_CORRUPTED') return undefined;
  const { position, streamId, revision } = error.details as { position?: unknown; streamId?: unknown; revision?: unknown };
  return typeof position === 'number' && typeof streamId === 'string' && typeof revision === 'number' ? { position, streamId, revision } : undefined;
}

/** What an ended stream keeps instead of its own (empty) collections; `reopen` replaces them. */
const NOTHING_SEEN: Map<string, number> = new Map();
const NO_PROBLEMS: StreamProblem[] = [];

/** Folds streams as their events come, and gives each its verdict. */
class StreamChecker {
  private readonly trackers = new Map<string, Tracker>();
  private readonly models: Map<string, SagaModel>;

  constructor(
    private readonly store: EventStore,
    models: readonly SagaModel[],
    private readonly now: number,
  ) {
    this.models = new Map(models.map((m) => [`${m.name}@${m.version}`, m]));
  }

  private tracker(streamId: string): Tracker {
    let t = this.trackers.get(streamId);
    if (!t) {
      t = { streamId, state: undefined, events: 0, nextRevision: 0, firstSeen: new Map(), problems: [], unreadable: false, model: undefined, done: undefined };
      this.trackers.set(streamId, t);
    }
    return t;
  }

  /** Takes the next event of the log (position order). */
  async add(event: RecordedEvent): Promise<void> {
    const t = this.tracker(event.streamId);
    if (t.done) await this.reopen(t, event.revision);
    this.fold(t, event);
  }

  /** An event of a stream whose store could not decode it. */
  addUnreadable(streamId: string, revision: number, problem: string): void {
    const t = this.tracker(streamId);
    if (t.done) {
      t.problems = [...t.done.problems];
      t.firstSeen = new Map();
      t.done = undefined;
    }
    t.events += 1;
    t.nextRevision = revision + 1;
    t.unreadable = true;
    t.state = undefined;
    t.problems.push({ revision, problem });
  }

  /** More events after the stream ended: fold it again from its start, up to this one. */
  private async reopen(t: Tracker, revision: number): Promise<void> {
    const before = await this.store.readStream(t.streamId, { maxCount: revision });
    Object.assign(t, {
      state: undefined,
      events: 0,
      nextRevision: 0,
      firstSeen: new Map(),
      problems: [],
      unreadable: false,
      model: undefined,
      done: undefined,
    });
    for (const e of before) this.fold(t, e, false);
  }

  /** Folds one event; `settle`: a stream that ends here keeps its verdict only. */
  private fold(t: Tracker, event: RecordedEvent, settle = true): void {
    t.events += 1;
    if (event.revision !== t.nextRevision)
      t.problems.push({ revision: event.revision, problem: `revision gap: expected ${t.nextRevision}, found ${event.revision}` });
    t.nextRevision = event.revision + 1;
    if (t.unreadable) return;
    let state: SagaState | undefined;
    try {
      state = evolve(t.state, parseSagaEvent(event, { streamId: t.streamId, revision: event.revision }));
    } catch (error) {
      t.unreadable = true;
      t.state = undefined;
      t.problems.push({ revision: event.revision, problem: message(error) });
      return;
    }
    if (!state) {
      t.unreadable = true;
      t.problems.push({ revision: event.revision, problem: 'no SagaStarted event: this is not a saga stream' });
      return;
    }
    if (!t.state) t.model = modelForState(this.models.get(`${state.saga}@${state.version}`), state);
    t.state = state;
    // SignalConsumed and the StepSucceeded that completes it are one append: the state between
    // them never existed on its own (its step has consumed a signal and not yet succeeded).
    if (event.type !== 'SignalConsumed')
      for (const problem of violations(state, t.model)) if (!t.firstSeen.has(problem)) t.firstSeen.set(problem, event.revision);
    if (settle && (state.status === 'completed' || state.status === 'compensated')) {
      // Only the verdict stays: 100,000 ended streams must not hold 100,000 states.
      t.done = this.verdict(t);
      t.state = undefined;
      t.model = undefined;
      t.firstSeen = NOTHING_SEEN;
      t.problems = NO_PROBLEMS;
    }
  }

  private verdict(t: Tracker): StreamVerdict {
    const state = t.state;
    const problems = [...t.problems, ...[...t.firstSeen.entries()].map(([problem, revision]) => ({ revision, problem }))];
    const valid = problems.length === 0;
    let continues = false;
    if (state && !t.unreadable) {
      const ended = state.status === 'completed' || state.status === 'compensated';
      if (t.model) continues = canContinue(t.model, state, this.now);
      else continues = ended ? violations(state).length === 0 : canContinue(shapeModel(state), state, this.now);
      if (!continues) {
        const why =
          state.status === 'failed' ? 'failed without needing attention: nothing will ever resume it' : `${state.status}, but there is nothing to do next`;
        problems.push({ revision: t.nextRevision - 1, problem: `cannot continue: ${why}` });
      }
    }
    problems.sort((a, b) => (a.revision ?? -1) - (b.revision ?? -1));
    return {
      sagaId: sagaIdOf(t.streamId),
      streamId: t.streamId,
      saga: state?.saga ?? null,
      version: state?.version ?? null,
      status: t.unreadable || !state ? 'unreadable' : state.status,
      needsAttention: state?.needsAttention ?? false,
      events: t.events,
      valid,
      canContinue: continues,
      withDefinition: t.model !== undefined,
      problems,
    };
  }

  /** The verdicts, in the order the streams' first events were read. */
  *verdicts(): Generator<StreamVerdict> {
    for (const t of this.trackers.values()) yield t.done ?? this.verdict(t);
  }

  get size(): number {
    return this.trackers.size;
  }
}

/**
 * Verifies every saga stream of the store (or, with `sagaId`, one). Reads only. Resolves with
 * a verdict per stream, in the order the sagas started.
 */
export async function verifyStreams(store: EventStore, sagaId: string | undefined, options: VerifyOptions = {}): Promise<StreamVerdict[]> {
  const checker = new StreamChecker(store, options.models ?? [], options.now ?? Date.now());
  if (sagaId !== undefined) {
    for (const event of await store.readStream(sagaStreamId(sagaId))) await checker.add(event);
    return [...checker.verdicts()];
  }
  const pageSize = options.pageSize ?? 5_000;
  let after = 0;
  for (;;) {
    let page: RecordedEvent[];
    try {
      page = await store.readAll({ after, streamPrefix: SAGA_STREAM_PREFIX, maxCount: pageSize });
    } catch (error) {
      const bad = corruptPosition(error);
      if (!bad) throw error;
      // Read one event at a time up to the one that cannot be decoded, report it, go on after it.
      for (;;) {
        try {
          const [one] = await store.readAll({ after, streamPrefix: SAGA_STREAM_PREFIX, maxCount: 1 });
          if (!one) break;
          await checker.add(one);
          after = one.position;
        } catch (again) {
          const at = corruptPosition(again);
          if (!at) throw again;
          checker.addUnreadable(at.streamId, at.revision, message(again));
          after = at.position;
          break;
        }
      }
      continue;
    }
    for (const event of page) await checker.add(event);
    const last = page.at(-1);
    if (!last || page.length < pageSize) break;
    after = last.position;
  }
  return [...checker.verdicts()];
}
