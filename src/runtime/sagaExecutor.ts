/**
 * Drives one saga, deciding nothing itself: load, then feed inputs to the pure `transition`
 * (a Tick first, then each attempt's outcome), append its events at the expected revision,
 * perform its effects, until the saga waits, ends or is fenced off. `transition` batches an
 * outcome with the next intent, so a saga of n successful steps costs n + 1 appends.
 */
import { errorInfo } from '../core/classify.js';
import { AppendRefusedError, ErrorCode, isSagaError, SagaCancelledError } from '../core/errors.js';
import type { Phase, SagaEvent } from '../core/events.js';
import { infrastructureDelay, type InfrastructurePolicy } from '../core/infrastructurePolicy.js';
import { sagaEvent } from '../core/events.js';
import { fold } from '../core/evolve.js';
import { attemptsInFlight, findInFlight } from '../core/parallelGroup.js';
import type { SagaState } from '../core/sagaState.js';
import { isTerminal } from '../core/sagaState.js';
import { transition } from '../core/transition.js';
import { foldedState } from '../core/transitionState.js';
import type { Effect, Transition, TransitionContext, TransitionInput } from '../core/transition.js';
import type { SagaDefinition } from '../definition/defineSaga.js';
import type { Logger } from '../observability/logger.js';
import { lazyChild } from '../observability/logger.js';
import type { EventStore, RecordedEvent } from '../stores/eventStore.js';
import { classifyStoreError, DEFAULT_MAX_EVENT_BYTES } from '../stores/eventStore.js';
import type { Clock, RandomSource } from './clock.js';
import { scheduleOn } from './clock.js';
import { linkAbort } from './abortLink.js';
import { AttemptControl, type AttemptRegistry } from './attemptControl.js';
import { runEffect } from './effectRunner.js';
import type { LoadedSaga } from './sagaStream.js';
import { loadSaga, sagaStreamId, toNewEvents } from './sagaStream.js';
import type { StoreHealth } from './storeHealth.js';
import type { WorkerHeartbeat } from './workerHeartbeat.js';
import type { VersionPlan } from './versionUpgrade.js';
import type { WorkerLiveness } from '../stores/eventStore.js';
import type { Json } from '../stores/eventStore.js';
import type { AttemptTelemetry } from '../observability/telemetry.js';
import type { TelemetryLink } from './telemetryLink.js';
import type { ChildSagas } from './childSagas.js';

export interface ExecutorDeps {
  store: EventStore;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  workerId: string;
  leaseMs: number;
  definitionOf(state: SagaState): SagaDefinition<unknown, Record<string, unknown>>;
  /**
   * For a saga whose definition version the engine does not register: migrate, wait, leave or
   * park it first (see versionUpgrade.ts). Undefined when the version is registered.
   */
  versionPlan?(state: SagaState, now: number, workerAliveUntil: () => Promise<ReadonlyMap<string, number> | undefined>): Promise<VersionPlan> | undefined;
  /**
   * Every event this engine appended, after the append is durable. Called with a function that
   * makes the records, so that nothing is built when no one listens.
   */
  published(records: () => RecordedEvent[]): void;
  /** Aborted when the engine closes: start no new attempt, but record the outcomes of running ones. */
  draining: AbortSignal;
  /** Aborted when the grace period ends: running attempts are aborted and released, not recorded. */
  shutdown: AbortSignal;
  /** Aborted on kill: stop at once, append nothing more. */
  killed: AbortSignal;
  /** The engine's attempts in flight: it aborts them all at the end of the grace period or on kill. */
  attempts: AttemptRegistry;
  /** How store calls are retried; every retry and every success is reported to `health`. */
  infrastructure: InfrastructurePolicy;
  health: StoreHealth;
  /**
   * The store's worker liveness and this worker's record in it, when the store has one: then
   * attempts append no LeaseExtended (the worker's record is renewed instead), and the
   * attempts of other workers last as long as those workers live.
   */
  liveness?: { store: WorkerLiveness; heartbeat: WorkerHeartbeat };
  /** Spans and metrics, when the engine was given `telemetry`; absent, nothing is built for them. */
  telemetry?: TelemetryLink;
  /** Performs `.child` steps and the commit step (childSagas.ts). */
  children?: ChildSagas;
}

/** `waitingFor`: the other worker whose attempt in flight the saga waits for (on a store with worker liveness). */
export type DriveResult = { state: SagaState | undefined; wakeAt?: number; waitingFor?: string };

type FlushResult = 'appended' | 'conflict' | 'parked';

type PerformEffect = Extract<Effect, { type: 'PerformAttempt' }>;
type PerformOutcome = { input: TransitionInput; log: Logger } | 'released';
/** An attempt this executor performs: several at once for the branches of a parallel group. */
interface RunningAttempt {
  control: AttemptControl;
  done: Promise<{ key: string; outcome: PerformOutcome }>;
}
const attemptKey = (a: { phase: Phase; step: string; attempt: number }): string => `${a.phase}/${a.step}/${a.attempt}`;

/** Events that record the outcome of an attempt: what must become durable before anything else. */
const OUTCOME_TYPES: ReadonlySet<string> = new Set(['StepSucceeded', 'StepFailed', 'CompensationSucceeded', 'CompensationFailed']);

/** What a first drive starts from when the stream is being created (engine.start). */
export interface FreshStart {
  /** What `pending` folds to. */
  state: SagaState;
  pending: SagaEvent[];
  onCreated(result: { created: boolean }): void;
  /** The stream could not be created (e.g. the input is too large for an event). */
  onFailed(error: unknown): void;
  /** More metadata for the first append (the saga's trace context, from telemetry). */
  metadata?: Record<string, Json>;
}

export class SagaExecutor {
  private state: SagaState | undefined;
  /** The state of what is durable (the stream up to `revision`), without `pending`. */
  private durable: SagaState | undefined;
  private revision = -1;
  private pending: SagaEvent[] = [];
  private readonly log: Logger;
  /** `saga-<sagaId>`, made once: a new string per append is hashed and checked again by the store. */
  private readonly streamId: string;
  /** Metadata the next append adds (the first append of a fresh start only). */
  private startMetadata: Record<string, Json> | undefined;
  /** Appends one at a time: a lease renewal of one branch must not interleave with the outcome of another. */
  private serial: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: ExecutorDeps,
    private readonly sagaId: string,
  ) {
    this.log = lazyChild(deps.logger, { sagaId });
    this.streamId = sagaStreamId(sagaId);
  }

  /** Runs `fn` after every append under way (and before any later one) has settled. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.serial.then(fn, fn);
    this.serial = run.catch(() => {});
    return run;
  }

  /** `folded`: what `events` fold to from the current state, when a transition computed it already. */
  private add(events: SagaEvent[], folded?: SagaState): void {
    this.pending.push(...events);
    // One fold for the batch: evolve per event would copy the whole state each time. A
    // transition folded them on its way: its state saves a second copy per transition.
    this.state = folded ?? fold(events, this.state);
  }

  private reset(loaded: LoadedSaga): void {
    this.state = loaded.state;
    this.durable = loaded.state;
    this.revision = loaded.revision;
    this.pending = [];
  }

  /**
   * Appends what is pending. 'conflict': another writer moved the stream; 'parked': the store
   * refused the batch for good and the saga was parked instead (see `parkRefused`).
   */
  private async flush(fresh?: FreshStart): Promise<FlushResult> {
    if (this.pending.length === 0) return 'appended';
    try {
      return await this.appendPending(fresh);
    } catch (error) {
      // A start the store refuses (e.g. an input too large) fails the start call: nothing exists yet.
      if (fresh || classifyStoreError(error) !== 'permanent') throw error;
      return this.parkRefused(error);
    }
  }

  /** One append of `pending` at the expected revision, retrying transient store errors. */
  private async appendPending(fresh?: FreshStart): Promise<FlushResult> {
    const streamId = this.streamId;
    const metadata: Record<string, Json> = { sagaId: this.sagaId, saga: this.state?.saga ?? '', worker: this.deps.workerId };
    if (this.startMetadata) Object.assign(metadata, this.startMetadata);
    // `holds`: the appending worker drives the saga on and has a liveness record, so a worker that
    // follows the store need not load the saga; it only watches that worker (engine.ts, follow).
    if (this.deps.liveness) metadata['holds'] = true;
    const events = toNewEvents(this.pending, metadata);
    const expected = this.revision < 0 ? 'no_stream' : this.revision;
    for (let attempt = 1; ; attempt++) {
      if (this.deps.killed.aborted) throw this.deps.killed.reason;
      try {
        const result = await this.deps.store.append(streamId, events, expected);
        this.deps.health.succeeded();
        this.revision = result.nextRevision;
        this.durable = this.state;
        const appended = this.pending;
        this.pending = [];
        this.startMetadata = undefined;
        this.deps.telemetry?.appended(this.sagaId, this.state?.saga ?? '', appended);
        fresh?.onCreated({ created: true });
        this.deps.published(() => {
          const first = result.nextRevision - events.length + 1;
          const recordedAt = new Date(this.deps.clock.now()).toISOString();
          return events.map((e, i) => ({
            ...e,
            streamId,
            revision: first + i,
            position: i === events.length - 1 ? result.position : -1,
            metadata: e.metadata ?? {},
            recordedAt,
          }));
        });
        return 'appended';
      } catch (error) {
        const kind = classifyStoreError(error);
        if (kind === 'conflict') {
          if (fresh) {
            fresh.onCreated({ created: false });
            this.pending = [];
            return 'conflict';
          }
          this.log.info({ revision: this.revision }, 'stream moved under us: reloading');
          return 'conflict';
        }
        if (kind === 'permanent') throw error;
        // The store is unreachable or failing: keep the outcome and retry with the same event ids,
        // which makes a retry of an append that did land an idempotent success.
        const delay = infrastructureDelay(this.deps.infrastructure, attempt, this.deps.random());
        this.deps.health.failed(`appending to ${streamId}`, error, attempt, delay);
        await this.pause(delay);
      }
    }
  }

  /** Sleeps between append retries; a kill, or the end of the engine's grace period, ends the wait with an error. */
  private async pause(ms: number): Promise<void> {
    const stop = new AbortController();
    const unlink = linkAbort(stop, this.deps.killed, this.deps.shutdown);
    try {
      await this.deps.clock.sleep(ms, stop.signal);
    } finally {
      unlink();
    }
  }

  /**
   * The store refused the pending batch for good (too large, invalid, a bug). Retrying would
   * loop forever and, after a restart, repeat an effect. Instead the saga is parked with the
   * reason — together with the outcome of the attempt that just ran, when the store takes it,
   * so that outcome is durable and no restart runs that effect again; else the park alone.
   * If even that is refused, AppendRefusedError: the engine reports it through `result()`.
   */
  private async parkRefused(error: unknown): Promise<FlushResult> {
    const refused = this.pending;
    const info = errorInfo(error);
    const outcome = refused[0] && OUTCOME_TYPES.has(refused[0].type) ? refused[0] : undefined;
    const step = (outcome?.data as { step?: string } | undefined)?.step ?? this.durable?.inFlight?.step ?? null;
    const reason = `the store refused the append of ${refused.map((e) => e.type).join(', ')} for good (${info.code}: ${info.message}); parked so that nothing repeats. Fix the cause, then resume the saga.`;
    const park = sagaEvent('SagaFailed', { reason, step, needsAttention: true, code: ErrorCode.AppendRefused, at: this.deps.clock.now() });
    this.log.error({ err: info, step, refused: refused.map((e) => e.type) }, 'the store refused an append for good: parking the saga');
    let last: unknown = error;
    for (const batch of outcome ? [[outcome, park], [park]] : [[park]]) {
      this.state = this.durable;
      this.pending = [];
      this.add(batch);
      try {
        const result = await this.appendPending();
        return result === 'appended' ? 'parked' : result;
      } catch (fallbackError) {
        if (classifyStoreError(fallbackError) !== 'permanent') throw fallbackError;
        last = fallbackError;
      }
    }
    this.state = this.durable;
    this.pending = [];
    throw new AppendRefusedError(
      `The store refuses every append of saga ${this.sagaId}, even the park that records why: ${errorInfo(last).message}. This engine stops driving it; fix the store, then restart.`,
      {
        details: { sagaId: this.sagaId, refused: refused.map((e) => e.type) },
        cause: last,
      },
    );
  }

  /**
   * What the store's liveness records say of the worker whose attempt is in flight, when it is
   * another worker's (see TransitionContext.workerAliveUntil). A failed read says nothing: the
   * attempt's own lease then decides, as on a store without liveness.
   */
  private async peerLiveness(state: SagaState | undefined): Promise<ReadonlyMap<string, number> | undefined> {
    const liveness = this.deps.liveness?.store;
    if (!liveness || !state) return undefined;
    // Several workers for a parallel group's attempts; at most one for a sequential saga.
    const workers = [...new Set(attemptsInFlight(state).map((f) => f.worker))].filter((w) => w !== this.deps.workerId);
    const known = new Map<string, number>();
    for (const worker of workers) {
      try {
        const until = await liveness.aliveUntil(worker);
        if (until !== undefined) known.set(worker, until);
      } catch (error) {
        this.log.warn({ err: errorInfo(error), worker }, 'could not read the liveness of a worker; its attempt keeps its own lease');
      }
    }
    return known.size === 0 ? undefined : known;
  }

  private context(workerAliveUntil?: ReadonlyMap<string, number>, running?: ReadonlyMap<string, unknown>): TransitionContext {
    const ctx: TransitionContext = {
      workerId: this.deps.workerId,
      leaseMs: this.deps.leaseMs,
      random: this.deps.random,
      // Draining: record the outcomes of running attempts, start nothing new.
      draining: this.deps.draining.aborted,
      // A snapshot too large for one event is left out: loads then fold the whole stream.
      maxSnapshotBytes: DEFAULT_MAX_EVENT_BYTES / 2,
    };
    // Added afterwards, not spread into the literal: that is a slow path on Node 20, once per loop turn.
    if (workerAliveUntil) ctx.workerAliveUntil = workerAliveUntil;
    if (running && running.size > 0) ctx.performing = new Set(running.keys());
    return ctx;
  }

  /**
   * transition(), and Fenced instead of an outcome it rejects: after a conflict the reloaded
   * stream shows that another worker owns the attempt now, so our outcome is dropped.
   */
  private transitionOf(
    definition: SagaDefinition<unknown, Record<string, unknown>>,
    state: SagaState,
    input: TransitionInput,
    workerAliveUntil?: ReadonlyMap<string, number>,
    running?: ReadonlyMap<string, unknown>,
  ): Transition {
    const ctx = this.context(workerAliveUntil, running);
    try {
      return transition(definition, state, input, ctx);
    } catch (error) {
      if (!isSagaError(error) || error.code !== ErrorCode.UnexpectedInput || !('attempt' in input)) throw error;
      this.log.warn({ step: input.step, attempt: input.attempt }, 'fenced: another worker owns this attempt now; dropping our outcome');
      return transition(definition, state, { type: 'Fenced', phase: input.phase, step: input.step, attempt: input.attempt, now: input.now }, ctx);
    }
  }

  /** The warnings an operator wants: a failed attempt and its recovery, an in-doubt step given up on. */
  private logTransition(input: TransitionInput, events: SagaEvent[], attemptLog: Logger | undefined): void {
    for (const e of events) {
      if (e.type === 'StepFailed' && e.data.error.code === 'IN_DOUBT')
        this.log.warn({ step: e.data.step, attempt: e.data.attempt }, 'in-doubt step has no attempts left: compensating it as partially applied');
    }
    if (input.type !== 'AttemptFailed' || !attemptLog) return;
    const failed = events[0];
    if (failed?.type !== 'StepFailed' && failed?.type !== 'CompensationFailed') return;
    const next = events[1];
    attemptLog.warn(
      {
        kind: input.kind,
        err: input.error,
        durationMs: input.durationMs,
        ...(next?.type === 'RetryScheduled' ? { delayMs: next.data.dueAt - input.now } : {}),
      },
      `${input.phase} failed (${input.kind}); ${next ? next.type : 'no recovery'}`,
    );
  }

  /** Runs the saga until it waits, ends, or is fenced. */
  async drive(fresh?: FreshStart): Promise<DriveResult> {
    // The worker's record names this process before any attempt of it becomes visible.
    await this.deps.liveness?.heartbeat.ready;
    if (fresh) {
      this.state = undefined;
      this.durable = undefined;
      this.revision = -1;
      this.startMetadata = fresh.metadata;
      if (fresh.metadata) this.deps.telemetry?.remember(this.sagaId, fresh.metadata);
      this.add(fresh.pending, fresh.state);
    } else {
      this.reset(await loadSaga(this.deps.store, this.sagaId));
    }
    let input: TransitionInput = { type: 'Tick', now: this.deps.clock.now() };
    let attemptLog: Logger | undefined;
    const running = new Map<string, RunningAttempt>();
    for (;;) {
      // A killed engine is a dead process: it neither decides nor performs anything more.
      if (this.deps.killed.aborted) throw this.deps.killed.reason;
      const state = this.state;
      if (!state) return { state };
      // A version this engine does not register: migrate, wait, leave or park first (versionUpgrade.ts).
      // Only between attempts: a drive with attempts running is on a registered version already.
      if (running.size === 0 && !isTerminal(state) && this.deps.versionPlan) {
        // Liveness is read only for a version this engine lacks: a registered one costs no store read.
        const versionPlan = this.deps.versionPlan(state, this.deps.clock.now(), () => this.peerLiveness(state));
        if (versionPlan) {
          const plan = await versionPlan;
          if (this.deps.killed.aborted) throw this.deps.killed.reason;
          if (plan.type === 'leave') throw plan.error;
          if (plan.type === 'wait')
            return {
              state,
              wakeAt: plan.until,
              ...(this.deps.liveness && plan.worker !== undefined && plan.worker !== this.deps.workerId ? { waitingFor: plan.worker } : {}),
            };
          if (plan.type === 'park') this.log.error({ code: plan.error.code, version: state.version }, plan.error.message);
          else this.log.info({ from: state.version, to: plan.definition.version }, 'migrating the saga to the registered version');
          this.add(plan.events);
          const migrated = await this.flush();
          if (migrated === 'conflict') {
            this.reset(await loadSaga(this.deps.store, this.sagaId));
            continue;
          }
          if (plan.type === 'park' || migrated === 'parked') return { state: this.state };
          continue;
        }
      }
      const definition = this.deps.definitionOf(state);
      const step = await this.exclusive(async () => {
        const current = this.state as SagaState;
        const peers = await this.peerLiveness(current);
        if (this.deps.killed.aborted) throw this.deps.killed.reason;
        const next = this.transitionOf(definition, current, input, peers, running);
        this.logTransition(input, next.events, attemptLog);
        this.add(next.events, foldedState(next));
        const flushed = await this.flush(fresh);
        // Someone else wrote (a cancel, an operator, another worker): reload before any lease renewal appends.
        if (flushed === 'conflict' && !fresh) this.reset(await loadSaga(this.deps.store, this.sagaId));
        return { next, flushed };
      });
      const { next, flushed } = step;
      if (flushed === 'conflict') {
        // A start finds the saga exists; anything else feeds the same input again on what is durable now.
        if (fresh) return { state: undefined };
        input = { ...input, now: this.deps.clock.now() };
        attemptLog = undefined;
        continue;
      }
      fresh = undefined;
      if (flushed === 'parked') {
        for (const r of running.values()) r.control.cancel(new SagaCancelledError(`Saga ${this.sagaId} was parked`, { details: { sagaId: this.sagaId } }));
        return { state: this.state };
      }
      for (const e of next.effects) {
        // A parallel group stopped: its other branches' signals fire; their outcomes are still recorded.
        if (e.type === 'CancelAttempt')
          running.get(attemptKey(e))?.control.cancel(new SagaCancelledError(e.reason, { details: { sagaId: this.sagaId, step: e.step, attempt: e.attempt } }));
        if (e.type !== 'PerformAttempt') continue;
        const key = attemptKey(e);
        const control = new AttemptControl();
        running.set(key, { control, done: this.perform(definition, e, control).then((outcome) => ({ key, outcome })) });
      }
      let reported: { input: TransitionInput; log: Logger | undefined } | undefined;
      // A branch's retry may fall due while its siblings run: wake for it (a Tick) instead of waiting for them.
      let retryAt = Number.POSITIVE_INFINITY;
      for (const e of next.effects) if (e.type === 'SetTimer' && e.reason === 'retry' && e.at < retryAt) retryAt = e.at;
      let cancelTimer: (() => void) | undefined;
      const due =
        running.size > 0 && Number.isFinite(retryAt)
          ? new Promise<'due'>((resolve) => (cancelTimer = scheduleOn(this.deps.clock, Math.max(0, retryAt - this.deps.clock.now()), () => resolve('due'))))
          : undefined;
      while (running.size > 0 && !reported) {
        // A sequential saga's one attempt is awaited as it is: a race of one costs two arrays and a promise per step.
        const only = running.size === 1 && !due ? running.values().next().value : undefined;
        const first = await (only ? only.done : Promise.race([...[...running.values()].map((r) => r.done), ...(due ? [due] : [])]));
        if (first === 'due') {
          reported = { input: { type: 'Tick', now: this.deps.clock.now() }, log: undefined };
          break;
        }
        running.delete(first.key);
        if (first.outcome !== 'released') reported = first.outcome;
      }
      cancelTimer?.();
      if (reported) {
        ({ input, log: attemptLog } = reported);
        continue;
      }
      if (next.effects.some((e) => e.type === 'PerformAttempt')) return { state: this.state };
      const timers = next.effects.flatMap((e) => (e.type === 'SetTimer' ? [e.at] : []));
      if (timers.length === 0) return { state: this.state };
      // Waiting for another worker's attempt: the scheduler watches that worker, to wake the saga when it dies.
      const holder = this.state ? attemptsInFlight(this.state).find((f) => f.worker !== this.deps.workerId)?.worker : undefined;
      const waitingFor = this.deps.liveness && next.effects.some((e) => e.type === 'SetTimer' && e.reason === 'lease') ? holder : undefined;
      return { state: this.state, wakeAt: Math.min(...timers), ...(waitingFor !== undefined && waitingFor !== this.deps.workerId ? { waitingFor } : {}) };
    }
  }

  /**
   * On stores without worker liveness only (see ExecutorDeps.liveness; with it, the worker's
   * one record covers the attempt and nothing is appended to the saga's stream):
   * renews the lease of a long attempt every leaseMs / 3 with a LeaseExtended append, so other
   * workers do not take it over. If the stream shows the attempt is no longer ours (another
   * worker took over after our lease ran out), calls `onFenced`. A timer, not a loop: an attempt
   * shorter than leaseMs / 3 costs one timer set and cleared. Returns the function that stops
   * it and waits for a renewal under way.
   */
  private startHeartbeat(phase: Phase, step: string, attempt: number, control: AttemptControl, onFenced: () => void, log: Logger): () => Promise<void> {
    const every = Math.max(5, Math.floor(this.deps.leaseMs / 3));
    let stopped = false;
    let renewing: Promise<void> | undefined;
    let cancel: (() => void) | undefined;
    const tick = (): void => {
      cancel = undefined;
      if (stopped || control.aborted) return;
      renewing = this.renewLease(phase, step, attempt, log).then((mine) => {
        renewing = undefined;
        if (!mine) onFenced();
        else if (!stopped && !control.aborted) cancel = scheduleOn(this.deps.clock, every, tick);
      });
    };
    cancel = scheduleOn(this.deps.clock, every, tick);
    return async () => {
      stopped = true;
      cancel?.();
      await renewing;
    };
  }

  /** One lease renewal. False when the stream shows that another worker owns the attempt now. */
  private async renewLease(phase: Phase, step: string, attempt: number, log: Logger): Promise<boolean> {
    const now = this.deps.clock.now();
    const renewed = await this.exclusive(async () => {
      this.add([sagaEvent('LeaseExtended', { phase, step, attempt, worker: this.deps.workerId, leaseUntil: now + this.deps.leaseMs, at: now })]);
      try {
        const flushed = await this.flush();
        if (flushed === 'appended') return true;
        if (flushed === 'conflict') this.reset(await loadSaga(this.deps.store, this.sagaId));
      } catch (error) {
        // A dead engine appends nothing more; otherwise try again at the next period.
        if (!this.deps.killed.aborted) log.warn({ err: errorInfo(error) }, 'lease renewal failed; will retry');
        this.state = this.durable;
        this.pending = [];
        return true;
      }
      return undefined;
    });
    if (renewed) return true;
    const f = this.state ? findInFlight(this.state, { phase, step, attempt }) : undefined;
    if (f && f.worker === this.deps.workerId) return true;
    log.warn({}, 'fenced during the attempt: another worker took it over; aborting ours');
    return false;
  }

  /** The attempt's span, when the engine has telemetry: a child of the saga's recorded trace context. */
  private async traceAttempt(telemetry: TelemetryLink, state: SagaState, phase: Phase, step: string, attempt: number): Promise<AttemptTelemetry> {
    const sagaMetadata = await telemetry.startMetadata(this.deps.store, this.sagaId);
    return telemetry.port.attemptStarted({ sagaId: this.sagaId, saga: state.saga, step, attempt, phase, worker: this.deps.workerId, sagaMetadata });
  }

  /** Performs one attempt; its outcome is the next input. */
  private async perform(
    definition: SagaDefinition<unknown, Record<string, unknown>>,
    effect: PerformEffect,
    control: AttemptControl = new AttemptControl(),
  ): Promise<PerformOutcome> {
    const { phase, step: stepName, attempt, idempotencyKey } = effect;
    const state = this.state as SagaState;
    const step = definition.steps.find((s) => s.name === stepName);
    const log = this.log.child({ saga: state.saga, step: stepName, attempt, phase });
    // Per-step lines are debug: at the default level a saga that goes well logs nothing.
    if (!step) throw new Error(`bug: step ${stepName} not in ${definition.name}`);
    if (this.deps.killed.aborted) throw this.deps.killed.reason;
    log.debug({}, phase === 'step' ? 'step started' : 'compensation started');
    // The engine aborts `control` when its grace period ends or it is killed; the heartbeat
    // aborts it when another worker took the attempt over (fenced); drive cancels it when its
    // parallel group stops.
    const unregister = this.deps.attempts.add(control, phase === 'step' ? state.sagaId : undefined);
    // A step still running at the saga's deadline is stopped as a cancel would stop it.
    // Not the commit step: past its start the saga commits (childPhase.ts), a deadline comes too late.
    const deadline = phase === 'step' && state.deadlineAt !== undefined && !step.commitsChildren ? state.deadlineAt : undefined;
    const stopDeadline =
      deadline === undefined
        ? undefined
        : scheduleOn(this.deps.clock, Math.max(0, deadline - this.deps.clock.now()), () =>
            control.cancel(
              new SagaCancelledError(`Saga ${state.sagaId} passed its deadline (${new Date(deadline).toISOString()})`, {
                details: { sagaId: state.sagaId, deadlineAt: deadline },
              }),
            ),
          );
    let fenced = false;
    const onFenced = (): void => {
      fenced = true;
      control.abort(new Error('fenced: another worker owns this attempt'));
    };
    // With worker liveness, the worker's one record covers this attempt: nothing is appended for it.
    const releaseWorker = this.deps.liveness?.heartbeat.hold();
    const stopHeartbeat = releaseWorker ? async () => releaseWorker() : this.startHeartbeat(phase, stepName, attempt, control, onFenced, log);
    // No await at all without telemetry: an attempt costs nothing more than before.
    const trace = this.deps.telemetry ? await this.traceAttempt(this.deps.telemetry, state, phase, stepName, attempt) : undefined;
    let outcome: Awaited<ReturnType<typeof runEffect>>;
    try {
      outcome = await runEffect({
        definition,
        state,
        step,
        phase,
        attempt,
        idempotencyKey,
        log,
        control,
        now: () => this.deps.clock.now(),
        ...(trace ? { trace } : {}),
        ...(this.deps.children ? { children: this.deps.children } : {}),
      });
    } catch (error) {
      trace?.end({ outcome: 'released', durationMs: 0 });
      throw error;
    } finally {
      stopDeadline?.();
      await stopHeartbeat();
      unregister();
    }
    if (trace) endAttemptTrace(trace, outcome, fenced);
    if (fenced) return 'released';
    const now = this.deps.clock.now();
    if (outcome.ok) {
      log.debug({ durationMs: outcome.durationMs }, phase === 'step' ? 'step succeeded' : 'compensation succeeded');
      return {
        input: {
          type: 'AttemptSucceeded',
          phase,
          step: stepName,
          attempt,
          output: phase === 'step' ? outcome.output : null,
          durationMs: outcome.durationMs,
          now,
        },
        log,
      };
    }
    if ('released' in outcome) {
      log.info({}, 'shutting down: attempt released, it will run again');
      return 'released';
    }
    // A timeout arrives here already classified (step, saga, default classifier): AttemptFailed.
    const { kind, error, durationMs = outcome.durationMs } = outcome.failure;
    return { input: { type: 'AttemptFailed', phase, step: stepName, attempt, kind, error, durationMs, now }, log };
  }
}

/** Ends an attempt's span with what became of it. */
function endAttemptTrace(trace: AttemptTelemetry, outcome: Awaited<ReturnType<typeof runEffect>>, fenced: boolean): void {
  if (fenced) trace.end({ outcome: 'fenced', durationMs: outcome.durationMs });
  else if (outcome.ok) trace.end({ outcome: 'succeeded', durationMs: outcome.durationMs });
  else if ('released' in outcome) trace.end({ outcome: 'released', durationMs: outcome.durationMs });
  else {
    const { kind, error } = outcome.failure;
    trace.end({ outcome: 'failed', kind, errorCode: error.code, errorName: error.name, durationMs: outcome.durationMs });
  }
}
