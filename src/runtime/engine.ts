/**
 * The engine embedded in a service: register definitions, start sagas, await results,
 * cancel, resume parked sagas, replay, observe. Everything it knows comes from the stream.
 */
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { type Observable, Subject, filter } from 'rxjs';
import { newId } from './ids.js';
import { inputHash } from './inputHash.js';
import {
  IdempotencyKeyInvalidError,
  IdempotencyKeyReusedError,
  InputValidationError,
  SagaCancelledError,
  SagaCompensatedError,
  SagaNotFoundError,
  SagaParkedError,
  StreamVersionConflictError,
  UnknownSagaError,
  EngineClosedError,
} from '../core/errors.js';
import { TERMINAL_EVENT_TYPES, sagaEvent } from '../core/events.js';
import { errorInfo } from '../core/classify.js';
import { DEFAULT_INFRASTRUCTURE_POLICY, infrastructureDelay, type InfrastructurePolicy } from '../core/infrastructurePolicy.js';
import type { SagaEvent, SagaEventOf } from '../core/events.js';
import { evolve, fold } from '../core/evolve.js';
import { violations } from '../core/invariants.js';
import { stepShapes } from '../core/sagaModel.js';
import type { SagaState } from '../core/sagaState.js';
import { isTerminal } from '../core/sagaState.js';
import { pastCancelPoint } from '../core/childPhase.js';
import type { AnySagaDefinition, SagaInput, SagaOutputs } from '../definition/defineSaga.js';
import { describeIssue, validateWith } from '../definition/standardSchema.js';
import type { Logger } from '../observability/logger.js';
import { silentLogger } from '../observability/logger.js';
import type { EventStore, Subscription } from '../stores/eventStore.js';
import type { Clock, RandomSource } from './clock.js';
import { scheduleOn, systemClock } from './clock.js';
import { StoreHealth, type EngineHealth } from './storeHealth.js';
import type { SagaResult } from './sagaResult.js';
import { resultOf } from './sagaResult.js';
import { observeSaga, toSagaEventRecord } from './sagaObservable.js';
import type { SagaEventRecord } from './sagaObservable.js';
import { AttemptRegistry } from './attemptControl.js';
import { killEngineNow } from './killSwitch.js';
import { SagaScheduler } from './sagaScheduler.js';
import { SAGA_STREAM_PREFIX, loadSaga, readSagaEvents, sagaIdOf, sagaStreamId, toNewEvents } from './sagaStream.js';
import { type ClaimingIndex, ClaimingRecovery, claimingIndex } from './claimingRecovery.js';
import { findUnfinishedSagas, sagaOpenStreamPlanner } from './unfinishedSagas.js';
import { LivenessReads } from './livenessReads.js';
import { PeerWatch } from './peerWatch.js';
import { DefinitionRegistry } from './definitionRegistry.js';
import { explicitMigration, planVersion } from './versionUpgrade.js';
import type { SagaMigration } from '../definition/defineMigration.js';
import { WorkerHeartbeat } from './workerHeartbeat.js';
import type { Telemetry } from '../observability/telemetry.js';
import { TelemetryLink } from './telemetryLink.js';
import type { Json } from '../stores/eventStore.js';
import { type PayloadCodec, withPayloadCodec } from './codec/payloadCodec.js';
import { sendSignal, type SignalOptions, type SignalResult } from './sendSignal.js';
import type { ChildLink, ParentLink } from '../core/events.js';
import { asChildDefinition, childStepsOf } from '../definition/childStep.js';
import { ChildSagas, childIdempotencyKey, childSagaId, idempotentSagaId } from './childSagas.js';

/** Options of {@link createEngine} and the {@link Engine} constructor. Durations are in ms. */
export interface EngineOptions {
  /** Where sagas live. The engine does not close it: its owner does. */
  store: EventStore;
  /**
   * The definitions this engine runs (from {@link defineSaga}), several versions of one name
   * allowed: a saga runs with the version it started with; `start` by name uses the latest.
   */
  sagas: readonly AnySagaDefinition[];
  /**
   * Declared migrations ({@link defineMigration}) between versions of the sagas above. A saga
   * whose version this engine does not register is moved forward along them to the newest
   * version (recorded as `SagaMigrated`); without a path it is parked
   * (`DEFINITION_VERSION_NOT_REGISTERED`). `engine.migrate(sagaId)` uses them on request.
   * @default []
   */
  migrations?: readonly SagaMigration[];
  /** Where the engine logs (pino's shape; see {@link createPinoLogger}). Without one, nothing is logged. @default silentLogger */
  logger?: Logger;
  /** Time source of retries, leases and `at`; tests pass a virtual clock. @default systemClock */
  clock?: Clock;
  /** Jitter source, numbers in [0, 1). @default Math.random */
  random?: RandomSource;
  /** This engine's id, recorded in every StepStarted and lease; give each engine its own. @default `<hostname>/<pid>/<8 random characters>` */
  workerId?: string;
  /**
   * How long a started attempt belongs to this engine before another worker may take it over,
   * in ms. On a store with worker liveness (SQLite, PostgreSQL) the engine renews one record for
   * all its attempts every leaseMs / 3, a dead worker's attempts are taken over as soon as the
   * store sees its process gone, and the lease only bounds how long a hung worker keeps them.
   * Elsewhere, attempts that run longer renew it every leaseMs / 3 with a LeaseExtended event.
   * Shorter leases mean faster failover of hung (or, without liveness, dead) workers and more
   * renewals. @default 750
   */
  leaseMs?: number;
  /** Sagas this engine drives at once; more wait their turn. @default 32 */
  concurrency?: number;
  /**
   * Resume every unfinished saga in the store when the engine starts. Read by
   * {@link createEngine} only (`new Engine()` never resumes; call `resumeUnfinished()`), and
   * ignored when `runSagas` is false. @default true
   */
  resumeUnfinished?: boolean;
  /**
   * False makes a client: it starts, cancels, resumes and reads sagas but never runs a step;
   * workers (`startWorker()` elsewhere) run them. @default true
   */
  runSagas?: boolean;
  /**
   * How store calls (appends, reads, the worker's subscription) are retried, and after how long
   * of failing the engine reports itself unhealthy; merged over the default (50 ms doubling to
   * 5_000 ms, full jitter; unhealthy after 30_000 ms). @default DEFAULT_INFRASTRUCTURE_POLICY
   */
  infrastructure?: Partial<InfrastructurePolicy>;
  /**
   * Spans and metrics: `openTelemetry()` from `sagaflow/otel` (docs/observability.md). Without
   * it nothing is traced and the hot path builds nothing for it. @default none
   */
  telemetry?: Telemetry;
  /**
   * Encodes the payloads of saga events (inputs, outputs, error messages, reasons, snapshots)
   * before they reach the store, and decodes them on read: `createAesGcmCodec()` encrypts them
   * (docs/security.md). Every engine and CLI reading the store needs the same codec (keys).
   * @default none: payloads are stored as they are
   */
  codec?: PayloadCodec;
}

/** Options of {@link Engine.start}. */
export interface StartOptions {
  /**
   * The same key (1–255 characters) with the same input returns the same saga instead of
   * starting another; with a different input, `start` throws IdempotencyKeyReusedError.
   * Without a key, every call starts a new saga.
   */
  idempotencyKey?: string;
  /**
   * How long this saga may run, in ms from now: past it, it is cancelled (its running step's
   * signal fires, and it compensates). @default the definition's `deadlineMs`, else none
   */
  deadlineMs?: number;
  /**
   * The version to start when `start` is given a name: any registered version of it.
   * @default the newest registered version
   */
  version?: number;
}

/** What {@link Engine.migrate} did. */
export interface MigrateResult {
  /** False when the saga already ran with the target version: nothing was appended. */
  migrated: boolean;
  /** The version the saga ran with before. */
  from: number;
  /** The version it runs with now. */
  to: number;
}

declare const outputsOf: unique symbol;
/**
 * A saga id. `engine.start(definition, input)` returns it tagged with the saga's outputs, so
 * `engine.result(sagaId)` is typed without a type argument; any plain string is a SagaId too.
 */
export type SagaId<TOutputs = Record<string, unknown>> = string & {
  /** Type-level tag only: never present at run time. */
  readonly [outputsOf]?: TOutputs;
};

/** What `start` resolves with; `TOutputs` is known when it was given a definition (not a name). */
export interface StartResult<TOutputs = unknown> {
  /** The saga's id: tagged with its outputs' type when started from a definition. */
  sagaId: unknown extends TOutputs ? string : SagaId<TOutputs>;
  /** The saga's stream, `saga-<sagaId>`. */
  streamId: string;
  /** False when the idempotency key named a saga that already existed. */
  created: boolean;
}

/** What {@link Engine.replay} returns. */
export interface ReplayResult {
  /** The fold of the events read; undefined for an empty stream. */
  state: SagaState | undefined;
  /** The events folded, oldest first. */
  events: SagaEventRecord[];
  /** Broken invariants of the replayed state (empty when valid). */
  violations: string[];
}

/** Longest idempotency key accepted (Stripe's limit). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** What `start` prepares before it appends anything. */
interface PreparedStart {
  definition: AnySagaDefinition;
  sagaId: string;
  started: SagaEventOf<'SagaStarted'>;
  key: string | null;
  hash: string | undefined;
}

/**
 * Runs sagas on a store: starts them, drives their steps and compensations, and answers for
 * their state and results. Create one with {@link createEngine} (which also resumes the
 * store's unfinished sagas). Every state it reports is a fold of the saga's stream, so any
 * number of engines, in any processes, can share one store.
 */
export class Engine {
  /** The definitions (several versions of a name side by side) and migrations this engine runs. */
  private readonly registry = new DefinitionRegistry();
  private readonly subject = new Subject<SagaEventRecord>();
  /** Sagas whose every append the store refuses (even the park): `result()` rejects with the error. */
  private readonly refused = new Map<string, unknown>();
  private readonly refusals = new Subject<string>();
  /** `result()` calls waiting for a saga this engine is driving, resolved from its in-memory state. */
  private readonly waiters = new Map<string, Set<(state: SagaState | undefined) => void>>();
  private readonly attempts = new AttemptRegistry();
  private readonly storeHealth: StoreHealth;
  private readonly stopObservingRetries: (() => void) | undefined;
  private readonly infrastructure: InfrastructurePolicy;
  private readonly random: RandomSource;
  /** Changes of `health()`: healthy, degraded (the store is failing), unhealthy (past the policy's bound). */
  readonly health$: Observable<EngineHealth>;
  private readonly draining = new AbortController();
  private readonly shutdown = new AbortController();
  private readonly killed = new AbortController();
  private readonly scheduler: SagaScheduler;
  /** This worker's liveness record, on stores that keep one (store.workerLiveness). */
  private readonly heartbeat: WorkerHeartbeat | undefined;
  /** The other workers this engine's sagas wait for, watched to take their attempts over when they die. */
  private readonly peerWatch: PeerWatch | undefined;
  private readonly log: Logger;
  private readonly clock: Clock;
  /** The store given in the options, seen through the `codec` when one is given. */
  readonly store: EventStore;
  /** This engine's id (`EngineOptions.workerId`). */
  readonly workerId: string;
  /** Every event this engine appends, once durable. */
  readonly events$: Observable<SagaEventRecord> = this.subject.asObservable();
  /** Unfinished sagas resumed when the engine started. */
  recovered = 0;
  private worker: Subscription | undefined;
  private following = false;
  private resubscribe: (() => void) | undefined;
  private readonly runSagas: boolean;
  private scannedTo: number | undefined;
  /** Claims of unfinished sagas, on stores that can claim (claimingRecovery.ts). */
  private claiming: ClaimingRecovery | undefined;
  private readonly leaseMs: number;
  private readonly telemetry: TelemetryLink | undefined;

  /**
   * Registers the definitions; resumes nothing (prefer {@link createEngine}).
   *
   * @throws {@link DefinitionError} (`DEFINITION_INVALID`) for a definition without steps or a value that is not one.
   */
  constructor(options: EngineOptions) {
    this.store = options.codec ? withPayloadCodec(options.store, options.codec) : options.store;
    this.telemetry = options.telemetry ? new TelemetryLink(options.telemetry) : undefined;
    // The store keeps its open-stream index by the saga rule (stores that have one).
    this.store.openStreams?.usePlanner(sagaOpenStreamPlanner);
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger;
    this.runSagas = options.runSagas !== false;
    this.workerId = options.workerId ?? `${hostname()}/${process.pid}/${newId().slice(-8)}`;
    this.random = options.random ?? Math.random;
    this.infrastructure = { ...DEFAULT_INFRASTRUCTURE_POLICY, ...options.infrastructure };
    this.storeHealth = new StoreHealth(this.infrastructure, this.clock, this.log);
    this.health$ = this.storeHealth.health$;
    // A store that retries inside a call reports each retry: the outage shows at once.
    this.stopObservingRetries = this.store.observeRetries?.((retry) => this.storeHealth.failed(retry.doing, retry.error, retry.attempt, retry.delayMs));
    for (const definition of options.sagas) this.registry.register(definition);
    for (const migration of options.migrations ?? []) this.registry.registerMigration(migration);
    this.registry.assertChildrenRegistered();
    // Append retries listen to these (abortLink.ts) and unlisten when they end.
    setMaxListeners(0, this.draining.signal, this.shutdown.signal, this.killed.signal);
    // The end of the grace period, and a kill, abort every attempt in flight from here.
    this.shutdown.signal.addEventListener('abort', () => this.attempts.abortAll(this.shutdown.signal.reason), { once: true });
    this.killed.signal.addEventListener('abort', () => this.attempts.abortAll(this.killed.signal.reason), { once: true });
    const leaseMs = options.leaseMs ?? 750;
    this.leaseMs = leaseMs;
    // Only a worker has attempts for its record to cover; a client writes none.
    const stored = this.runSagas ? this.store.workerLiveness : undefined;
    const liveness = stored ? new LivenessReads(stored, this.clock) : undefined;
    this.heartbeat = liveness ? new WorkerHeartbeat(liveness, this.workerId, leaseMs, this.clock, this.log) : undefined;
    this.peerWatch = liveness ? new PeerWatch(liveness, (sagaId) => this.scheduler.kick(sagaId), this.clock) : undefined;
    this.scheduler = new SagaScheduler(
      {
        store: this.store,
        clock: this.clock,
        random: this.random,
        logger: this.log,
        workerId: this.workerId,
        leaseMs,
        ...(liveness && this.heartbeat ? { liveness: { store: liveness, heartbeat: this.heartbeat } } : {}),
        definitionOf: (state) => this.registry.forState(state),
        versionPlan: (state, now, alive) => planVersion(this.registry, state, now, alive),
        // Records are made only when someone listens: most engines have no subscriber.
        published: (records) => {
          if (this.subject.observed) for (const e of records()) this.subject.next(toSagaEventRecord(e));
        },
        draining: this.draining.signal,
        shutdown: this.shutdown.signal,
        killed: this.killed.signal,
        attempts: this.attempts,
        infrastructure: this.infrastructure,
        health: this.storeHealth,
        ...(this.telemetry ? { telemetry: this.telemetry } : {}),
        children: this.childSagas(),
      },
      {
        onCorrupted: (sagaId, error) => this.park(sagaId, error),
        onSettled: (sagaId, state) => {
          if (state && isTerminal(state)) this.settle(sagaId, state);
        },
        onRefused: (sagaId, error) => {
          this.refused.set(sagaId, error);
          this.refusals.next(sagaId);
          // Waiters of `settled` wake too (undefined: not settled), and then find the refusal.
          this.settle(sagaId, undefined);
        },
        onWaiting: (sagaId, worker) => this.peerWatch?.note(sagaId, worker),
      },
      options.concurrency ?? 32,
    );
  }

  private assertOpen(): void {
    if (this.draining.signal.aborted) throw new EngineClosedError('The engine is closed; create a new one with createEngine().');
  }

  /**
   * Resumes every unfinished saga in the store (oldest first, bounded concurrency). Returns how
   * many it took at once. On a store that can claim open sagas (PostgreSQL, memory), workers
   * that start together split them: each claims a batch (twice its concurrency), and the next
   * one when it has room, so the count grows as batches are claimed (see claimingRecovery.ts).
   */
  async resumeUnfinished(): Promise<number> {
    const index = claimingIndex(this.store.openStreams);
    if (index && this.runSagas && !this.claiming) {
      const claimed = await this.claimUnfinished(index);
      if (claimed !== undefined) return claimed;
    }
    const { sagaIds: ids, lastPosition } = await findUnfinishedSagas(this.store);
    this.scannedTo = Math.max(this.scannedTo ?? 0, lastPosition);
    for (const id of ids) this.scheduler.kick(id);
    this.recovered += ids.length;
    if (ids.length > 0) this.log.info({ count: ids.length }, 'resuming unfinished sagas');
    return ids.length;
  }

  /** The sagas claimed at once; undefined (nothing claimed) when the index must first be completed by a scan. */
  private async claimUnfinished(index: ClaimingIndex): Promise<number | undefined> {
    const concurrency = this.scheduler.concurrency;
    this.claiming = new ClaimingRecovery({
      index,
      owner: this.workerId,
      batch: concurrency * 2,
      // Long enough to drive a batch; short enough that a worker dying with claims strands them briefly.
      claimLeaseMs: Math.max(10 * this.leaseMs, 1_000),
      clock: this.clock,
      stopped: this.draining.signal,
      isActive: (sagaId) => this.scheduler.isActive(sagaId),
      kick: (sagaId) => this.scheduler.kick(sagaId),
      room: (n) => this.scheduler.room(n),
      claimed: (count) => {
        this.recovered += count;
        this.log.info({ count }, 'resuming unfinished sagas (claimed)');
      },
      failed: (error) => this.log.warn({ err: errorInfo(error) }, 'could not claim unfinished sagas; the next sweep tries again'),
    });
    const { complete, claimed, position } = await this.claiming.start();
    if (!complete) {
      this.claiming = undefined;
      return undefined;
    }
    this.scannedTo = Math.max(this.scannedTo ?? 0, position);
    return claimed;
  }

  /**
   * Makes this engine a worker of the store: besides the sagas it starts, it runs any saga
   * whose stream moves (started or advanced by another process) and takes over attempts whose
   * lease has run out. Several engines on one store share the work; appends at the expected
   * revision fence them from one another. Returns once the catch-up part has been read.
   *
   * @throws {@link EngineClosedError} (`ENGINE_CLOSED`) after `close()`.
   * @throws `TypeError` for an engine created with `runSagas: false`.
   */
  async startWorker(): Promise<void> {
    this.assertOpen();
    if (!this.runSagas) throw new TypeError('This engine was created with runSagas: false (a client); create the worker with runSagas: true.');
    if (this.following) return;
    this.following = true;
    // Sagas that existed at the scan were resumed by resumeUnfinished(); the subscription covers the rest.
    const head = this.scannedTo ?? (await findUnfinishedSagas(this.store)).lastPosition;
    await new Promise<void>((resolve, reject) => this.follow(head, 0, resolve, reject));
  }

  /** The store's health as this engine sees it (appends, reads, the worker's subscription). */
  health(): EngineHealth {
    return this.storeHealth.current;
  }

  /**
   * Follows the store's saga events after `after`. A subscription that stops (the store went
   * away past the adapter's own retries) is taken up again from the last event it delivered,
   * with the infrastructure policy's backoff, for as long as the engine runs; meanwhile the
   * engine's health says so, and past the policy's bound it is unhealthy.
   */
  private follow(after: number, failures: number, caughtUp?: () => void, failedFirst?: (error: unknown) => void): void {
    if (this.draining.signal.aborted) return;
    let last = after;
    let delivered = false;
    let caught = false;
    this.worker = this.store.subscribeToAll({
      after,
      streamPrefix: SAGA_STREAM_PREFIX,
      onEvent: (event) => {
        last = event.position;
        if (!delivered) {
          delivered = true;
          this.storeHealth.succeeded();
        }
        const sagaId = sagaIdOf(event.streamId);
        // A cancel appended elsewhere stops the step this worker runs for that saga, at once.
        if (event.type === 'SagaCancelRequested') this.attempts.cancelSaga(sagaId, cancelledBecause(sagaId, cancelReason(event.data)));
        const worker = event.metadata['worker'];
        // A terminal event needs no driver, and no worker watched for it.
        if (TERMINAL_EVENT_TYPES.has(event.type)) return this.peerWatch?.note(sagaId, undefined);
        // Our own appends need no wake-up.
        if (worker === this.workerId) return;
        // Another live worker drives this saga on (`holds`): loading it would only find that out.
        // Watching that worker is enough: its death wakes the saga here (no herd of followers).
        if (this.peerWatch && event.metadata['holds'] === true && typeof worker === 'string' && !this.scheduler.isActive(sagaId)) {
          return this.peerWatch.note(sagaId, worker);
        }
        this.scheduler.kick(sagaId);
      },
      onCaughtUp: () => {
        caught = true;
        this.storeHealth.succeeded();
        caughtUp?.();
      },
      onError: (error) => {
        if (this.draining.signal.aborted) return;
        if (failedFirst && !caught) {
          this.log.error({ err: errorInfo(error) }, 'worker subscription failed to start');
          return failedFirst(error);
        }
        const attempt = delivered ? 1 : failures + 1;
        const delay = infrastructureDelay(this.infrastructure, attempt, this.random());
        this.storeHealth.failed('following the store (worker subscription)', error, attempt, delay);
        this.resubscribe = scheduleOn(this.clock, delay, () => this.follow(last, attempt));
      },
    });
  }

  /**
   * Starts a saga. The input is validated first: invalid input throws InputValidationError and
   * appends nothing. Resolves once `SagaStarted` (with the first step's intent) is durable.
   * Given a definition, the input is type-checked and the returned `sagaId` carries the
   * outputs' type; given a name, the latest registered version starts.
   *
   * @throws {@link UnknownSagaError} (`SAGA_UNKNOWN`) when the saga (or that version) is not registered.
   * @throws {@link InputValidationError} (`INPUT_INVALID`) when the input fails the definition's schema.
   * @throws {@link IdempotencyKeyInvalidError} (`IDEMPOTENCY_KEY_INVALID`) for an empty key or one longer than 255 characters.
   * @throws {@link IdempotencyKeyReusedError} (`IDEMPOTENCY_KEY_REUSED`) when the key already started the saga with another input.
   * @throws {@link StreamVersionConflictError} (`STREAM_VERSION_CONFLICT`) when the key's saga id belongs to another saga.
   * @throws {@link EngineClosedError} (`ENGINE_CLOSED`) after `close()`.
   */
  // One signature, not overloads: a wrong input then reads "Type 'number' is not assignable to
  // type 'string'" at the field, instead of "No overload matches this call".
  async start<TSaga extends string | AnySagaDefinition>(
    saga: TSaga,
    input: TSaga extends AnySagaDefinition ? SagaInput<TSaga> : unknown,
    options: StartOptions = {},
  ): Promise<StartResult<TSaga extends AnySagaDefinition ? SagaOutputs<TSaga> : unknown>> {
    return (await this.startSaga(saga, input, options)) as StartResult<TSaga extends AnySagaDefinition ? SagaOutputs<TSaga> : unknown>;
  }

  /** `start`, also for a child (`parent` given: its SagaStarted records its parent). */
  private async startSaga(saga: string | AnySagaDefinition, input: unknown, options: StartOptions, parent?: ParentLink): Promise<StartResult> {
    this.assertOpen();
    const { definition, sagaId, started, key, hash } = await this.prepareStart(saga, input, options, parent);
    const name = definition.name;
    const state = evolve(undefined, started) as SagaState;
    const trace = this.telemetry?.port.sagaStarting({ sagaId, saga: name, version: definition.version, drivenHere: this.runSagas });
    const metadata: Record<string, Json> | undefined = trace ? { ...trace.metadata } : undefined;
    let created: boolean;
    try {
      created = this.runSagas
        ? await new Promise<boolean>((resolve, reject) => {
            this.scheduler.kick(sagaId, {
              state,
              pending: [started],
              onCreated: (r) => resolve(r.created),
              onFailed: reject,
              ...(metadata ? { metadata } : {}),
            });
          })
        : await this.appendStart(sagaId, started, metadata);
    } catch (error) {
      trace?.settled({ error });
      throw error;
    }
    trace?.settled({ created });
    if (!created) {
      const existing = await loadSaga(this.store, sagaId);
      if (existing.state?.saga !== name) throw new StreamVersionConflictError(`Saga id ${sagaId} exists for another saga`, { details: { sagaId } });
      // Like Stripe: a key is bound to the request it first came with.
      if (hash !== undefined && inputHash(existing.state.input) !== hash) {
        throw new IdempotencyKeyReusedError(
          `Idempotency key "${key}" already started saga ${sagaId} (${name}) with a different input. Nothing was started or changed: use a new key for a new request, or send the same input.`,
          { details: { sagaId, saga: name, idempotencyKey: key } },
        );
      }
      if (!isTerminal(existing.state) && this.runSagas) this.scheduler.kick(sagaId);
    }
    return { sagaId, streamId: sagaStreamId(sagaId), created };
  }

  /**
   * Validates a start and builds its SagaStarted; appends nothing. A child (`parent` given)
   * records its parent and runs with the verdict steps; a parent records its children's ids.
   */
  private async prepareStart(saga: string | AnySagaDefinition, input: unknown, options: StartOptions, parent?: ParentLink): Promise<PreparedStart> {
    const definition = this.definitionToStart(saga, options.version);
    const name = definition.name;
    const parsed = await validateWith(definition.input, input);
    if (parsed.issues) {
      const issues = parsed.issues.map(describeIssue).join('; ');
      throw new InputValidationError(`Invalid input for saga "${name}": ${issues}. Nothing was started.`, { details: { saga: name, issues: parsed.issues } });
    }
    const key = options.idempotencyKey ?? null;
    if (key !== null && (typeof key !== 'string' || key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
      throw new IdempotencyKeyInvalidError(
        `Invalid idempotency key for saga "${name}": use 1-${MAX_IDEMPOTENCY_KEY_LENGTH} characters (got ${typeof key === 'string' ? `${key.length}` : typeof key}). Nothing was started.`,
        { details: { saga: name } },
      );
    }
    const deadlineMs = options.deadlineMs ?? definition.deadlineMs;
    if (deadlineMs !== undefined && !(Number.isFinite(deadlineMs) && deadlineMs > 0)) {
      throw new InputValidationError(`Invalid deadlineMs for saga "${name}": a positive number of ms (got ${String(deadlineMs)}). Nothing was started.`, {
        details: { saga: name, field: 'deadlineMs' },
      });
    }
    const storedInput = JSON.parse(JSON.stringify(parsed.value ?? null)) as unknown;
    const hash = key === null ? undefined : inputHash(storedInput);
    const sagaId = key === null ? newId() : idempotentSagaId(name, key);
    const children: ChildLink[] = childStepsOf(definition).map((step) => {
      const child = step.child?.saga as AnySagaDefinition;
      return { step: step.name, saga: child.name, version: child.version, sagaId: childSagaId(sagaId, step.name, child.name) };
    });
    const runs = parent ? asChildDefinition(definition, parent.verdictTimeoutMs) : definition;
    const started = sagaEvent('SagaStarted', {
      sagaId,
      saga: definition.name,
      version: definition.version,
      input: storedInput,
      steps: stepShapes(runs),
      idempotencyKey: key,
      ...(hash === undefined ? {} : { inputHash: hash }),
      ...(deadlineMs === undefined ? {} : { deadlineAt: this.clock.now() + deadlineMs }),
      ...(parent === undefined ? {} : { parent }),
      ...(children.length === 0 ? {} : { children }),
      at: this.clock.now(),
    });
    return { definition, sagaId, started, key, hash };
  }

  /** What performs `.child` steps: this engine starts, reads, signals and cancels the children. */
  private childSagas(): ChildSagas {
    return new ChildSagas({
      startChild: async (definition, input, parent) =>
        (await this.startSaga(definition, input, { idempotencyKey: childIdempotencyKey(parent.sagaId, parent.step) }, parent)).sagaId,
      startCancelled: async (definition, input, parent, reason) => {
        const { sagaId, started } = await this.prepareStart(definition, input, { idempotencyKey: childIdempotencyKey(parent.sagaId, parent.step) }, parent);
        const cancel = sagaEvent('SagaCancelRequested', { reason, at: this.clock.now() });
        try {
          await this.store.append(sagaStreamId(sagaId), toNewEvents([started, cancel], { sagaId, saga: definition.name, worker: this.workerId }), 'no_stream');
        } catch (error) {
          // It exists after all (a start under way landed first): the compensation's wait handles it.
          if (!(error instanceof StreamVersionConflictError)) throw error;
        }
        if (this.runSagas) this.scheduler.kick(sagaId);
      },
      state: async (sagaId) => (await loadSaga(this.store, sagaId)).state,
      signal: (sagaId, name, payload, options) => this.signal(sagaId, name, payload, options),
      cancel: (sagaId, reason) => this.cancel(sagaId, reason),
      outsideSlot: (wait) => this.scheduler.outsideSlot(wait),
      changed: (sagaId, ms, signal) =>
        new Promise<void>((resolve) => {
          const finish = (): void => {
            clearTimeout(timer);
            sub.unsubscribe();
            signal.removeEventListener('abort', finish);
            resolve();
          };
          const timer = setTimeout(finish, ms);
          const sub = this.subject.pipe(filter((e) => e.sagaId === sagaId)).subscribe(finish);
          signal.addEventListener('abort', finish, { once: true });
        }),
    });
  }

  /** The definition `start` runs: the latest version of a name, or the very definition given (registered). */
  private definitionToStart(saga: string | AnySagaDefinition, version?: number): AnySagaDefinition {
    const name = typeof saga === 'string' ? saga : saga?.name;
    const byName = version === undefined ? this.registry.latest(saga as string) : this.registry.get(saga as string, version);
    const definition = typeof saga === 'string' ? byName : this.registry.get(saga?.name, saga?.version);
    if (!definition) {
      const what =
        typeof saga === 'string' ? `"${saga}"${version === undefined ? '' : ` version ${version}`}` : `"${String(name)}" version ${String(saga?.version)}`;
      throw new UnknownSagaError(`Unknown saga ${what}. Register it with createEngine({ sagas: [...] }); registered: ${this.registry.describe()}.`, {
        details: { saga: name },
      });
    }
    return definition;
  }

  /** A client's start: only SagaStarted; a worker appends the first intent. */
  private async appendStart(sagaId: string, started: SagaEvent, metadata?: Record<string, Json>): Promise<boolean> {
    const saga = (started.data as { saga: string }).saga;
    try {
      await this.store.append(sagaStreamId(sagaId), toNewEvents([started], { sagaId, saga, worker: this.workerId, ...metadata }), 'no_stream');
      this.telemetry?.appended(sagaId, saga, [started]);
      return true;
    } catch (error) {
      if (error instanceof StreamVersionConflictError) return false;
      throw error;
    }
  }

  /**
   * The saga's current state: a fold of its stream (from the latest snapshot).
   *
   * @throws {@link SagaNotFoundError} (`SAGA_NOT_FOUND`) when the saga's stream is empty.
   * @throws {@link CorruptedEventError} (`EVENT_CORRUPTED`) for an unknown or malformed stored event.
   */
  async state(sagaId: string): Promise<SagaState> {
    const { state } = await loadSaga(this.store, sagaId);
    if (!state) throw new SagaNotFoundError(`No saga ${sagaId} (stream ${sagaStreamId(sagaId)} is empty).`, { details: { sagaId } });
    return state;
  }

  /**
   * Resolves when the saga is terminal: completed, compensated, or parked (failed). Rejects
   * with AppendRefusedError when the store refused even the park of a saga this engine ran.
   * A saga this engine is driving answers from its in-memory state, without reading the store;
   * others are read from the store and polled every `pollMs` (default 250 ms).
   *
   * @param options.pollMs How often a saga this engine does not drive is read again, in ms. Default 250.
   * @throws {@link AppendRefusedError} (`APPEND_REFUSED`) when the store refused even the park.
   * @throws {@link SagaNotFoundError} (`SAGA_NOT_FOUND`) when the saga's stream is empty.
   */
  async result<TOutputs = Record<string, unknown>>(sagaId: SagaId<TOutputs>, options: { pollMs?: number } = {}): Promise<SagaResult<TOutputs>> {
    const pollMs = options.pollMs ?? 250;
    for (;;) {
      const refused = this.refused.get(sagaId);
      if (refused) throw refused;
      if (this.runSagas && this.scheduler.isActive(sagaId)) {
        const state = await this.settled(sagaId, pollMs);
        const done = state && resultOf<TOutputs>(state);
        if (done) return done;
        continue;
      }
      const done = resultOf<TOutputs>(await this.state(sagaId));
      if (done) return done;
      await new Promise<void>((resolve) => {
        // Local appends wake us at once; the poll covers sagas run by other processes.
        const timer = setTimeout(finish, pollMs);
        const sub = this.subject.pipe(filter((e) => e.sagaId === sagaId && TERMINAL_EVENT_TYPES.has(e.type))).subscribe(finish);
        const refusal = this.refusals.pipe(filter((id) => id === sagaId)).subscribe(finish);
        function finish(): void {
          clearTimeout(timer);
          sub.unsubscribe();
          refusal.unsubscribe();
          resolve();
        }
      });
    }
  }

  /**
   * Like `result()`, for callers that treat anything but completion as an error (as Temporal's
   * `handle.result()` does): resolves with the outputs of a completed saga; rejects with
   * SagaCompensatedError (`SAGA_COMPENSATED`) when it was rolled back, and SagaParkedError
   * (`SAGA_PARKED`) when it failed and waits for an operator (`resume`). Both carry `sagaId`
   * and the failure in `details`.
   *
   * @param options.pollMs As for `result()`, in ms. Default 250.
   * @throws {@link SagaCompensatedError} (`SAGA_COMPENSATED`) when the saga was compensated.
   * @throws {@link SagaParkedError} (`SAGA_PARKED`) when the saga is parked.
   * @throws {@link AppendRefusedError} (`APPEND_REFUSED`) and {@link SagaNotFoundError} (`SAGA_NOT_FOUND`) as `result()` does.
   */
  async outputs<TOutputs = Record<string, unknown>>(sagaId: SagaId<TOutputs>, options: { pollMs?: number } = {}): Promise<TOutputs> {
    const result = await this.result<TOutputs>(sagaId, options);
    switch (result.status) {
      case 'completed':
        return result.outputs;
      case 'compensated':
        throw new SagaCompensatedError(
          `Saga ${sagaId} did not complete: it was compensated (${result.compensated.join(', ') || 'nothing to undo'}) after ${result.failure ? `${result.failure.step ?? 'the saga'} failed: ${result.failure.message}` : 'a cancellation'}.`,
          {
            details: { sagaId, failure: result.failure, compensated: result.compensated },
          },
        );
      case 'failed':
        throw new SagaParkedError(
          `Saga ${sagaId} is parked and needs attention${result.failure ? `: ${result.failure.message}` : ''}. Fix the cause, then resume it (engine.resume or \`sagaflow resume ${sagaId}\`).`,
          {
            details: { sagaId, failure: result.failure },
          },
        );
    }
  }

  /** Waits up to `ms` for this engine to bring the saga to a terminal state; undefined on timeout or refusal. */
  private settled(sagaId: string, ms: number): Promise<SagaState | undefined> {
    return new Promise((resolve) => {
      let set = this.waiters.get(sagaId);
      if (!set) {
        set = new Set();
        this.waiters.set(sagaId, set);
      }
      const done = (state: SagaState | undefined): void => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.waiters.get(sagaId) === set) this.waiters.delete(sagaId);
        resolve(state);
      };
      const timer = setTimeout(() => done(undefined), ms);
      // A refusal wakes it through `settle` (onRefused): no subscription per call.
      set.add(done);
    });
  }

  /** Wakes the waiters of `settled` with the terminal state, or with undefined (refused: not settled). */
  private settle(sagaId: string, state: SagaState | undefined): void {
    const waiting = this.waiters.get(sagaId);
    if (!waiting) return;
    this.waiters.delete(sagaId);
    for (const done of [...waiting]) done(state);
  }

  private async appendFact(sagaId: string, make: (state: SagaState) => SagaEvent | undefined): Promise<boolean> {
    for (;;) {
      const loaded = await loadSaga(this.store, sagaId);
      if (!loaded.state) throw new SagaNotFoundError(`No saga ${sagaId}.`, { details: { sagaId } });
      const event = make(loaded.state);
      if (!event) return false;
      try {
        await this.store.append(sagaStreamId(sagaId), toNewEvents([event], { sagaId, saga: loaded.state.saga, worker: this.workerId }), loaded.revision);
        this.telemetry?.appended(sagaId, loaded.state.saga, [event]);
        if (this.runSagas) this.scheduler.kick(sagaId);
        return true;
      } catch (error) {
        if (!(error instanceof StreamVersionConflictError)) throw error;
      }
    }
  }

  /**
   * Requests cancellation: the saga compensates what it did. False if it was not running (or
   * a cancellation was already requested).
   *
   * @throws {@link SagaNotFoundError} (`SAGA_NOT_FOUND`) when the saga's stream is empty.
   * @throws {@link EngineClosedError} (`ENGINE_CLOSED`) after `close()`.
   */
  async cancel(sagaId: string, reason: string): Promise<boolean> {
    this.assertOpen();
    const requested = await this.appendFact(sagaId, (s) =>
      s.status === 'running' && s.cancelRequested === null && !pastCancelPoint(s)
        ? sagaEvent('SagaCancelRequested', { reason, at: this.clock.now() })
        : undefined,
    );
    // A step this engine is running stops now (its signal fires); other workers see the event.
    if (requested) this.attempts.cancelSaga(sagaId, cancelledBecause(sagaId, reason));
    return requested;
  }

  /**
   * Sends a signal to a saga: a step declared with `.waitFor(…, { signal: name })` consumes it,
   * and its payload becomes that step's output. The payload is validated by that step's schema
   * first. A signal that arrives before the saga waits is kept until it does; one sent again
   * with the same `signalId` is applied once (`duplicate: true`, nothing appended). Resolves
   * once the signal is durable; any worker following the saga then drives it.
   *
   * @throws {@link SagaNotFoundError} (`SAGA_NOT_FOUND`) when the saga's stream is empty.
   * @throws {@link SagaFinishedError} (`SAGA_FINISHED`) when the saga has ended (completed, compensated, parked).
   * @throws {@link SignalNotAwaitedError} (`SIGNAL_NOT_AWAITED`) when no step waits, or will wait, for `name` (or the saga compensates).
   * @throws {@link SignalPayloadInvalidError} (`SIGNAL_PAYLOAD_INVALID`) when the waiting step's schema refuses the payload.
   * @throws {@link InputValidationError} (`INPUT_INVALID`) for an empty signalId or one longer than 255 characters.
   * @throws {@link EngineClosedError} (`ENGINE_CLOSED`) after `close()`.
   */
  async signal(sagaId: string, name: string, payload: unknown, options: SignalOptions = {}): Promise<SignalResult> {
    this.assertOpen();
    const deps = {
      store: this.store,
      clock: this.clock,
      workerId: this.workerId,
      definitionOf: (state: SagaState) => this.registry.forState(state),
      ...(this.runSagas ? { kick: (id: string) => this.scheduler.kick(id) } : {}),
    };
    return sendSignal(deps, sagaId, name, payload, options);
  }

  /**
   * Resumes a parked saga with a fresh retry budget for its stuck compensation. False if it
   * was not parked. `by` is recorded in `SagaResumed`.
   *
   * @throws {@link SagaNotFoundError} (`SAGA_NOT_FOUND`) when the saga's stream is empty.
   * @throws {@link EngineClosedError} (`ENGINE_CLOSED`) after `close()`.
   */
  async resume(sagaId: string, by = 'operator'): Promise<boolean> {
    this.assertOpen();
    return this.appendFact(sagaId, (s) => (s.status === 'failed' ? sagaEvent('SagaResumed', { by, at: this.clock.now() }) : undefined));
  }

  /**
   * Moves a running saga to a newer version of its definition (`to`, default the newest
   * registered) along the declared migrations, appending one `SagaMigrated` per version at the
   * expected revision, even while its own version is still registered. From then on it runs
   * with the new version's steps. A saga already at `to` is left as it is (`migrated: false`).
   *
   * @param options.to The version to move to. Default: the newest registered version.
   * @throws {@link SagaNotFoundError} (`SAGA_NOT_FOUND`) when the saga's stream is empty.
   * @throws {@link MigrationNotApplicableError} (`MIGRATION_NOT_APPLICABLE`) when no declared migrations lead to `to`, the saga is not running (compensating or finished sagas end on their own version), or a live worker holds its attempt; nothing is appended.
   * @throws {@link MigrationFailedError} (`MIGRATION_FAILED`) when a migration throws or returns what the new version does not accept; nothing is appended.
   * @throws {@link EngineClosedError} (`ENGINE_CLOSED`) after `close()`.
   */
  async migrate(sagaId: string, options: { to?: number } = {}): Promise<MigrateResult> {
    this.assertOpen();
    for (;;) {
      const loaded = await loadSaga(this.store, sagaId);
      const state = loaded.state;
      if (!state) throw new SagaNotFoundError(`No saga ${sagaId} (stream ${sagaStreamId(sagaId)} is empty).`, { details: { sagaId } });
      const to = options.to ?? this.registry.latest(state.saga)?.version ?? state.version;
      const worker = state.inFlight?.worker;
      const alive = worker === undefined ? undefined : await this.store.workerLiveness?.aliveUntil(worker);
      const events = await explicitMigration(
        this.registry,
        state,
        to,
        this.clock.now(),
        alive === undefined || worker === undefined ? undefined : new Map([[worker, alive]]),
      );
      if (events.length === 0) return { migrated: false, from: state.version, to: state.version };
      try {
        await this.store.append(sagaStreamId(sagaId), toNewEvents(events, { sagaId, saga: state.saga, worker: this.workerId }), loaded.revision);
      } catch (error) {
        if (error instanceof StreamVersionConflictError) continue;
        throw error;
      }
      if (this.runSagas) this.scheduler.kick(sagaId);
      return { migrated: true, from: state.version, to };
    }
  }

  /**
   * Folds the whole stream (no snapshot) up to `toRevision`, with its events and invariant check.
   *
   * @param options.toRevision Last revision to fold (inclusive). Default: the whole stream.
   * @throws {@link CorruptedEventError} (`EVENT_CORRUPTED`) for an unknown or malformed stored event.
   */
  async replay(sagaId: string, options: { toRevision?: number } = {}): Promise<ReplayResult> {
    const events = await readSagaEvents(this.store, sagaId, options.toRevision);
    const state = fold(events.map((e) => e.event));
    const definition = state ? this.registry.findForState(state) : undefined;
    return { state, events: events.map((e) => toSagaEventRecord(e.recorded)), violations: state ? violations(state, definition) : [] };
  }

  /**
   * The saga's recorded events, oldest first, as the store holds them (type, data, metadata,
   * revision, time), without touching the store's API.
   *
   * @throws {@link SagaNotFoundError} (`SAGA_NOT_FOUND`) for a saga with no stream.
   * @throws {@link CorruptedEventError} (`EVENT_CORRUPTED`) for an unknown or malformed stored event.
   */
  async events(sagaId: string): Promise<SagaEventRecord[]> {
    const events = await readSagaEvents(this.store, sagaId);
    if (events.length === 0) throw new SagaNotFoundError(`No saga ${sagaId} (stream ${sagaStreamId(sagaId)} is empty).`, { details: { sagaId } });
    return events.map((e) => toSagaEventRecord(e.recorded));
  }

  /** The saga's stored events, then its live ones (appended by any process); completes when it ends. */
  saga$(sagaId: string): Observable<SagaEventRecord> {
    return observeSaga(this.store, sagaId);
  }

  private async park(sagaId: string, error: unknown): Promise<void> {
    const [last] = await this.store.readStream(sagaStreamId(sagaId), { direction: 'backwards', maxCount: 1 });
    if (!last || TERMINAL_EVENT_TYPES.has(last.type)) return;
    const reason = error instanceof Error ? error.message : String(error);
    const event = sagaEvent('SagaFailed', { reason, step: null, needsAttention: true, at: this.clock.now() });
    await this.store.append(sagaStreamId(sagaId), toNewEvents([event], { sagaId, saga: '', worker: this.workerId }), last.revision);
    this.telemetry?.appended(sagaId, typeof last.metadata['saga'] === 'string' ? last.metadata['saga'] : '', [event]);
  }

  /** Resolves when no saga is being driven right now (timers may still be pending). */
  async idle(): Promise<void> {
    // A claim under way kicks drives when it returns: wait for it first.
    await this.claiming?.idle();
    await this.scheduler.idle();
  }

  /**
   * Graceful close: start nothing new, let running attempts finish and record their outcomes
   * for up to `graceMs`, then abort and release the rest (they re-run on the next start).
   * Does not close the store: its owner does. Calling it again does nothing.
   *
   * @param options.graceMs How long running attempts may take to finish, in ms. Default 10_000.
   */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    if (this.draining.signal.aborted) return;
    this.draining.abort(new EngineClosedError('The engine is closed; create a new one with createEngine().'));
    this.scheduler.stopTimers();
    this.claiming?.stop();
    this.resubscribe?.();
    await this.worker?.unsubscribe().catch(() => {});
    const grace = setTimeout(() => this.shutdown.abort(new EngineClosedError('engine closed during the attempt')), options.graceMs ?? 10_000);
    await this.scheduler.idle();
    clearTimeout(grace);
    this.peerWatch?.stop();
    // No attempt of ours runs any more: whatever was released is taken over at once, not after a lease.
    await this.heartbeat?.release();
    this.shutdown.abort(new EngineClosedError('engine closed'));
    this.subject.complete();
    this.stopObservingRetries?.();
    this.storeHealth.complete();
    this.telemetry?.port.close?.();
  }

  /**
   * Simulates a crash: stops at once, appends nothing more, waits for nothing. The test kit's `killEngine` calls it.
   * @internal
   */
  [killEngineNow](): void {
    this.resubscribe?.();
    this.stopObservingRetries?.();
    void this.worker?.unsubscribe().catch(() => {});
    this.killed.abort(new EngineClosedError('engine killed'));
    this.draining.abort(new EngineClosedError('The engine is closed; create a new one with createEngine().'));
    this.shutdown.abort(new EngineClosedError('engine killed'));
    this.scheduler.stopTimers();
    this.claiming?.stop();
    this.heartbeat?.stop();
    this.peerWatch?.stop();
    this.subject.complete();
  }
}

/**
 * Creates an engine and, unless told not to (`resumeUnfinished: false`, or a client with
 * `runSagas: false`), resumes every unfinished saga in the store.
 *
 * @throws {@link DefinitionError} (`DEFINITION_INVALID`) for a definition without steps or a value that is not one.
 */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  const engine = new Engine(options);
  if (options.resumeUnfinished !== false && options.runSagas !== false) await engine.resumeUnfinished();
  return engine;
}

/** The reason a cancelled saga's running step sees on its signal. */
function cancelledBecause(sagaId: string, reason: string): SagaCancelledError {
  return new SagaCancelledError(`Saga ${sagaId} was cancelled: ${reason}`, { details: { sagaId, reason } });
}

function cancelReason(data: unknown): string {
  const reason = typeof data === 'object' && data !== null ? (data as { reason?: unknown }).reason : undefined;
  return typeof reason === 'string' ? reason : 'cancelled';
}
