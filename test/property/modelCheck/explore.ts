/**
 * An explicit-state model check of `transition`: breadth-first over every world one saga can
 * reach, where a world is the stream's folded state, the time, the attempts workers are
 * performing, and the outcomes recorded so far. Two workers share the saga; from each world
 * every input is tried:
 *
 *   - each running attempt reports each outcome: success, transient, permanent, partial, timeout
 *     (an outcome the state no longer expects is rejected, and its worker is fed Fenced);
 *   - a worker crashes (its running attempts are dropped; it restarts idle, with nothing cached);
 *   - an idle worker ticks (a restart, a timer, a wake-up from the subscription);
 *   - an idle worker ticks having learned from the store's worker liveness that the holder of
 *     the attempt in flight is dead (TransitionContext.workerAliveUntil = 0), before its lease
 *     runs out: offered whether or not the holder still performs it, since a PostgreSQL worker
 *     whose lock connection dropped looks dead while it lives;
 *   - an idle worker asks to cancel;
 *   - both idle workers tick from the same state and race to append: the first append wins, the
 *     loser's append conflicts and it is fed Fenced on the reloaded state;
 *   - time jumps to the next timer (a retry due, a lease running out).
 *
 * Attempts take no time and heartbeats are not modelled, so a lease runs out only when time
 * jumps: the worst case, a worker stalled past its lease while another takes over. Worlds are
 * equal when their states agree with absolute times removed and lease ends and retry due times
 * taken relative to now: `transition` depends on no other time (the shapes' time budget never
 * runs out), so merging them is sound.
 */
import {
  attemptsInFlight,
  canContinue,
  findInFlight,
  fold,
  isTerminal,
  receiveSignal,
  sagaEvent,
  stepShapes,
  transition,
  violations,
  ErrorCode,
  isSagaError,
} from '../../../src/core/index.js';
import type { FailureKind, Phase, SagaEvent, SagaModel, SagaState, Transition, TransitionContext, TransitionInput } from '../../../src/core/index.js';

export const WORKERS = ['w1', 'w2'] as const;
export const LEASE_MS = 100;
const TIMEOUT_MS = 50;

interface Running {
  worker: string;
  phase: Phase;
  step: string;
  attempt: number;
}

export interface World {
  state: SagaState;
  now: number;
  /** Attempts being performed, by worker. */
  running: Running[];
  /** `phase/step/attempt` of every outcome in the stream. */
  outcomes: string[];
}

interface Move {
  label: string;
  next: World;
}

export interface ExploreReport {
  states: number;
  /** Inputs tried, no-op ones (the world does not change) included. */
  transitions: number;
  /** Input sequences from the start to a terminal world, inputs that change nothing left out. */
  paths: bigint;
  /** The longest of those paths. */
  longestPath: number;
  terminal: { completed: number; compensated: number; parked: number };
}

/** The invariants, each checked on every world or every input. */
export type Rule = 'valid' | 'canContinue' | 'terminates' | 'oneOutcome' | 'fencing' | 'intentFirst';

/** A broken invariant, with the inputs that lead to it from SagaStarted. */
export class ModelCheckFailure extends Error {
  constructor(
    readonly rule: Rule,
    message: string,
  ) {
    super(message);
  }
}

const ctxOf = (workerId: string): TransitionContext => ({ workerId, leaseMs: LEASE_MS, random: 0 });
const errorOf = (kind: FailureKind) => ({ name: 'Error', code: kind.toUpperCase(), message: kind });
const outcomeKey = (phase: Phase, step: string, attempt: number) => `${phase}/${step}/${attempt}`;

export function initialWorld(model: SagaModel): World {
  const started = sagaEvent('SagaStarted', { sagaId: 'mc', saga: model.name, version: 1, input: null, steps: stepShapes(model), idempotencyKey: null, at: 0 });
  return { state: fold([started]) as SagaState, now: 0, running: [], outcomes: [] };
}

function outcomeOf(event: SagaEvent): string | undefined {
  switch (event.type) {
    case 'StepSucceeded':
    case 'StepFailed':
      return outcomeKey('step', event.data.step, event.data.attempt);
    case 'CompensationSucceeded':
    case 'CompensationFailed':
      return outcomeKey('compensation', event.data.step, event.data.attempt);
    default:
      return undefined;
  }
}

/** One append of a transition's events by `worker`; its PerformAttempt effects start running. */
function applied(world: World, worker: string, result: Transition, running: Running[] = world.running): World {
  const outcomes = [...world.outcomes];
  for (const event of result.events) {
    const key = outcomeOf(event);
    if (key === undefined) continue;
    if (outcomes.includes(key)) throw new ModelCheckFailure('oneOutcome', `attempt ${key} got a second outcome (${event.type})`);
    outcomes.push(key);
  }
  const started = result.effects.flatMap((e) => (e.type === 'PerformAttempt' ? [{ worker, phase: e.phase, step: e.step, attempt: e.attempt }] : []));
  // No events, no new state: the same object, so that keyOf's cache knows it.
  const state = result.events.length === 0 ? world.state : (fold(result.events, world.state) as SagaState);
  for (const e of result.effects) {
    if (e.type !== 'PerformAttempt') continue;
    const f = state.parallel ? findInFlight(state, e) : state.inFlight;
    const recorded =
      f !== null &&
      f !== undefined &&
      f.worker === worker &&
      f.phase === e.phase &&
      f.step === e.step &&
      f.attempt === e.attempt &&
      f.leaseUntil === e.leaseUntil;
    if (!recorded || !result.events.some((ev) => ev.type === (e.phase === 'step' ? 'StepStarted' : 'CompensationStarted'))) {
      throw new ModelCheckFailure(
        'intentFirst',
        `${worker} would perform ${e.phase} ${e.step}#${e.attempt} without its intent (worker, lease) in the same append`,
      );
    }
  }
  return { state, now: world.now, running: [...running, ...started], outcomes };
}

function outcomeInputs(r: Running, now: number): [string, TransitionInput][] {
  const ref = { phase: r.phase, step: r.step, attempt: r.attempt };
  const failed = (kind: FailureKind): [string, TransitionInput] => [kind, { type: 'AttemptFailed', ...ref, kind, error: errorOf(kind), durationMs: 0, now }];
  return [
    ['ok', { type: 'AttemptSucceeded', ...ref, output: { from: r.step }, durationMs: 0, now }],
    failed('transient'),
    failed('permanent'),
    failed('partial'),
    ['timeout', { type: 'AttemptTimedOut', ...ref, timeoutMs: TIMEOUT_MS, durationMs: TIMEOUT_MS, now }],
  ];
}

function isLive(world: World, r: Running): boolean {
  if (world.state.parallel) return findInFlight(world.state, r)?.worker === r.worker;
  const f = world.state.inFlight;
  return f !== null && f.worker === r.worker && f.phase === r.phase && f.step === r.step && f.attempt === r.attempt;
}

/** Fed back to a worker whose attempt is not the one in flight as its own (any more). */
function fenced(model: SagaModel, world: World, r: Running): Transition {
  return transition(model, world.state, { type: 'Fenced', phase: r.phase, step: r.step, attempt: r.attempt, now: world.now }, ctxOf(r.worker));
}

/**
 * Each outcome of a running attempt, fed back. One the state no longer expects must be
 * rejected (UnexpectedInputError), and its worker is then fenced.
 */
function outcomeMoves(model: SagaModel, world: World, r: Running, others: Running[]): Move[] {
  const live = isLive(world, r);
  let whenRejected: World | undefined;
  return outcomeInputs(r, world.now).map(([label, input]) => {
    const name = `${r.worker} ${r.phase === 'step' ? '' : 'undo '}${r.step}#${r.attempt} ${label}`;
    let result: Transition;
    try {
      result = transition(model, world.state, input, ctxOf(r.worker));
    } catch (error) {
      if (!isSagaError(error) || error.code !== ErrorCode.UnexpectedInput) throw error;
      if (live) throw new ModelCheckFailure('fencing', `${name} was rejected, yet it is the attempt in flight: ${error.message}`);
      whenRejected ??= applied(world, r.worker, fenced(model, world, r), others);
      return { label: `${name} (rejected: fenced)`, next: whenRejected };
    }
    if (!live) throw new ModelCheckFailure('fencing', `${name} was accepted, yet the attempt is not ${r.worker}'s in flight`);
    return { label: name, next: applied(world, r.worker, result, others) };
  });
}

/** The ids of the distinct signals a path may send, each any number of times (a repeat must change nothing). */
export const SIGNAL_IDS = ['a', 'b'] as const;

/**
 * For a saga with a waiting step: each signal, sent by a client (SignalReceived appended alone;
 * a worker's Tick then consumes it) or fed to an idle worker as a Signal input (recorded and
 * settled at once), before, during or after the wait, and again after that.
 */
function signalMoves(model: SagaModel, world: World, settled: World): Move[] {
  const names = [...new Set(model.steps.flatMap((m) => (m.signal ? [m.signal.name] : [])))];
  const moves: Move[] = [];
  for (const name of names) {
    for (const signalId of SIGNAL_IDS) {
      const arrival = { signalId, name, payload: { signalId }, now: world.now };
      const events = receiveSignal(model, world.state, arrival) ?? [];
      moves.push({ label: `client signals ${name}/${signalId}`, next: applied(world, 'client', { events, effects: [] }) });
      // The workers are interchangeable (see keyOf): one idle worker stands for both.
      const worker = WORKERS.find((w) => !settled.running.some((r) => r.worker === w));
      if (worker === undefined) continue;
      moves.push({
        label: `${worker} gets signal ${name}/${signalId}`,
        next: applied(settled, worker, transition(model, world.state, { type: 'Signal', ...arrival }, ctxOf(worker))),
      });
    }
  }
  return moves;
}

function nextTimer(world: World): number | undefined {
  const { inFlight, retry, parallel } = world.state;
  if (!parallel) {
    const due = [inFlight?.leaseUntil, retry?.dueAt, world.state.signals?.waiting?.until].filter((t): t is number => t !== undefined && t > world.now);
    return due.length === 0 ? undefined : Math.min(...due);
  }
  const due = [...attemptsInFlight(world.state).map((f) => f.leaseUntil), retry?.dueAt, ...(parallel?.retries ?? []).map((r) => r.dueAt)].filter(
    (t): t is number => t !== undefined && t > world.now,
  );
  return due.length === 0 ? undefined : Math.min(...due);
}

function successors(model: SagaModel, world: World): Move[] {
  const moves: Move[] = [];
  const { now } = world;
  for (const [i, r] of world.running.entries()) {
    moves.push(
      ...outcomeMoves(
        model,
        world,
        r,
        world.running.filter((_, j) => j !== i),
      ),
    );
  }
  // A worker still performing an attempt that is no longer in flight counts as idle (keyOf):
  // so that every world of its class offers the same inputs, it may also act as if it had
  // crashed first (a crash appends nothing) — from `settled`, the world without such attempts.
  const settled: World = { ...world, running: world.running.filter((r) => isLive(world, r)) };
  const ticks = new Map<string, { result: Transition; next: World }>();
  for (const worker of WORKERS) {
    if (world.running.some((r) => r.worker === worker))
      moves.push({ label: `${worker} crashes`, next: { ...world, running: world.running.filter((r) => r.worker !== worker) } });
    if (settled.running.some((r) => r.worker === worker)) continue;
    const result = transition(model, world.state, { type: 'Tick', now }, ctxOf(worker));
    const next = applied(settled, worker, result);
    ticks.set(worker, { result, next });
    moves.push({ label: `${worker} ticks`, next });
    for (const holder of new Set(attemptsInFlight(world.state).map((f) => f.worker))) {
      if (holder === worker) continue;
      const dead: TransitionContext = { ...ctxOf(worker), workerAliveUntil: new Map([[holder, 0]]) };
      moves.push({
        label: `${worker} ticks, seeing ${holder} dead`,
        next: applied(settled, worker, transition(model, world.state, { type: 'Tick', now }, dead)),
      });
    }
    moves.push({
      label: `${worker} cancels`,
      next: applied(settled, worker, transition(model, world.state, { type: 'CancelRequested', reason: 'cancel', now }, ctxOf(worker))),
    });
  }
  // Both idle workers tick from the same state: the first append wins; the loser's conflicts,
  // so nothing of it is in the stream and its attempts never ran; it is fed Fenced on the reload.
  for (const [winner, loser] of [
    ['w1', 'w2'],
    ['w2', 'w1'],
  ] as const) {
    const won = ticks.get(winner);
    const lost = ticks.get(loser);
    if (!won || !lost || lost.result.events.length === 0) continue;
    const attempts = lost.result.effects.flatMap((e) =>
      e.type === 'PerformAttempt' ? [{ worker: loser, phase: e.phase, step: e.step, attempt: e.attempt }] : [],
    );
    const next = attempts.reduce((w, r) => applied(w, loser, fenced(model, w, r)), won.next);
    moves.push({ label: `${winner} wins a race with ${loser}`, next });
  }
  moves.push(...signalMoves(model, world, settled));
  const timer = nextTimer(world);
  if (timer !== undefined) moves.push({ label: `time passes to +${timer}`, next: { ...world, now: timer } });
  return moves;
}

/**
 * The world as far as its future is concerned (see the header): the state's fields that
 * `transition` reads, with absolute times removed and timers taken relative to now; error
 * texts left out (no decision reads them, only the kind); the recorded outcomes left out (a new
 * outcome can only be for the attempt in flight, which has none yet). The two workers are
 * interchangeable, and a worker still performing an attempt that is no longer the one in
 * flight can only be rejected and then answers as an idle worker's Tick would: so all that
 * counts of the workers is whether the holder of the attempt in flight is still performing it.
 */
export function keyOf(world: World): string {
  const f = world.state.inFlight;
  if (world.state.parallel === undefined) {
    const performing = f !== null && world.running.some((r) => r.worker === f.worker && r.phase === f.phase && r.step === f.step && r.attempt === f.attempt);
    return `${stateKeyAt(world.state, world.now)}|${performing}`;
  }
  // Per attempt in flight (one, or a parallel group's several): whether its holder still performs it.
  const performing = attemptsInFlight(world.state).map((f) =>
    world.running.some((r) => r.worker === f.worker && r.phase === f.phase && r.step === f.step && r.attempt === f.attempt),
  );
  return `${stateKeyAt(world.state, world.now)}|${performing.join(',')}`;
}

/** Many inputs leave the state as it is (a crash, a rejected outcome, a Tick that only waits): the same object, keyed once per time. */
const stateKeys = new WeakMap<SagaState, { now: number; key: string }>();

function stateKeyAt(s: SagaState, now: number): string {
  const cached = stateKeys.get(s);
  if (cached?.now === now) return cached.key;
  const key = stateKey(s, now);
  stateKeys.set(s, { now, key });
  return key;
}

function stateKey(s: SagaState, now: number): string {
  const rel = (t: number) => Math.max(0, t - now);
  const f = s.inFlight;
  const c = s.compensation;
  const p = s.parallel;
  // Joined by hand, not JSON.stringify: this runs once per input tried and was the hot spot.
  return [
    s.status,
    s.steps.map((st) => `${st.status}:${st.attempts}:${st.compensationAttempts}:${st.compensationAttemptsBeforeResume}`).join(','),
    s.succeeded.join(','),
    Object.keys(s.outputs).join(','),
    f ? `${f.phase}:${f.step}:${f.attempt}:${rel(f.leaseUntil)}` : '',
    s.retry ? `${s.retry.phase}:${s.retry.step}:${s.retry.attempt}:${rel(s.retry.dueAt)}` : '',
    c ? `${c.cause}:${c.failedStep}:${c.plan.join(',')}:${c.done.join(',')}` : '',
    s.cancelRequested ?? '',
    s.needsAttention,
    s.failure ? `${s.failure.step}:${s.failure.kind}` : '',
    s.lastCheckpoint ?? '',
    s.rolledBackFrom ?? '',
    s.checkpointDue,
    ...(p
      ? [
          // Workers are interchangeable, but whether two branches have the same holder is not.
          `${p.group}:${p.inFlight.map((b) => `${b.step}:${b.attempt}:${b.worker === p.inFlight[0]?.worker ? 'A' : 'B'}:${rel(b.leaseUntil)}`).join(',')}`,
          p.retries.map((r) => `${r.step}:${r.attempt}:${rel(r.dueAt)}`).join(','),
          p.applied.join(','),
          p.failure ? `${p.failure.step}:${p.failure.cause}` : '',
        ]
      : []),
    signalKey(s, rel),
  ].join('|');
}

function signalKey(s: SagaState, rel: (t: number) => number): string {
  const b = s.signals;
  if (!b) return '';
  const w = b.waiting;
  return [
    b.received.join(','),
    b.inbox.map((r) => r.signalId).join(','),
    Object.entries(b.consumed)
      .map(([step, id]) => `${step}=${id}`)
      .join(','),
    w ? `${w.step}:${w.attempt}:${rel(w.until)}` : '',
  ].join(';');
}

/**
 * Terminal: nothing is in flight, so an attempt still running can only be rejected (its
 * worker is fenced and answers nothing), and no input changes the world any more.
 */
function isFinal(world: World): boolean {
  return isTerminal(world.state);
}

/** The checks on every world reached: the first broken one, in words. */
function problemOf(model: SagaModel, world: World): [Rule, string] | undefined {
  const broken = violations(world.state, model);
  if (broken.length > 0) return ['valid', `not valid: ${broken.join('; ')}`];
  if (!isTerminal(world.state) && !canContinue(model, world.state, world.now)) return ['canContinue', `cannot continue (${world.state.status})`];
  return undefined;
}

/**
 * Explores every world reachable from SagaStarted; throws ModelCheckFailure (with the inputs
 * that lead there) for a world that breaks an invariant, a world with no way on that is not
 * terminal, a cycle (a path that never ends), or a path longer than `bound`.
 */
export function explore(model: SagaModel, bound: number): ExploreReport {
  // Most worlds have an attempt whose outcome must be rejected; the UnexpectedInputError that
  // says so is caught at once, and capturing its stack each time was most of the run time.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return exploreFrom(model, bound);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function exploreFrom(model: SagaModel, bound: number): ExploreReport {
  const ids = new Map<string, number>();
  const worlds: World[] = [];
  const parent: number[] = [];
  const via: string[] = [];
  const depth: number[] = [];
  const successorsOf: number[][] = [];
  let transitions = 0;

  const pathTo = (id: number): string => {
    const labels: string[] = [];
    for (let at = id; at > 0; at = parent[at] as number) labels.push(via[at] as string);
    return labels.reverse().join(' → ') || '(SagaStarted)';
  };
  const failAt = (id: number, rule: Rule, why: string): never => {
    throw new ModelCheckFailure(rule, `${model.name}: ${why}\n  after: ${pathTo(id)}`);
  };
  const add = (world: World, key: string, from: number, label: string): number => {
    const id = worlds.length;
    ids.set(key, id);
    worlds.push(world);
    parent.push(from);
    via.push(label);
    depth.push(from < 0 ? 0 : (depth[from] as number) + 1);
    successorsOf.push([]);
    return id;
  };

  const root = initialWorld(model);
  add(root, keyOf(root), -1, '');
  for (let id = 0; id < worlds.length; id++) {
    const world = worlds[id] as World;
    const problem = problemOf(model, world);
    if (problem) failAt(id, problem[0], problem[1]);
    const own = keyOf(world);
    let moves: Move[];
    try {
      moves = successors(model, world);
    } catch (error) {
      if (error instanceof ModelCheckFailure) failAt(id, error.rule, error.message);
      throw error;
    }
    for (const move of moves) {
      transitions++;
      const key = keyOf(move.next);
      if (key === own) continue;
      let next = ids.get(key);
      if (next === undefined) {
        if ((depth[id] as number) + 1 > bound) failAt(id, 'terminates', `a path is longer than the bound of ${bound} inputs (next: ${move.label})`);
        next = add(move.next, key, id, move.label);
      }
      (successorsOf[id] as number[]).push(next);
    }
    if ((successorsOf[id] as number[]).length === 0 && !isFinal(world))
      failAt(id, 'terminates', `stuck: nothing can happen, yet the saga is ${world.state.status}`);
    if (isFinal(world) && (successorsOf[id] as number[]).length > 0) failAt(id, 'terminates', `a terminal saga moved on (${world.state.status})`);
  }
  return { states: worlds.length, transitions, ...pathsAndLengths(worlds, successorsOf, failAt, bound), terminal: terminalCounts(worlds) };
}

/** Counts paths and the longest one over the graph, which must be acyclic (Kahn's algorithm). */
function pathsAndLengths(
  worlds: World[],
  successorsOf: number[][],
  failAt: (id: number, rule: Rule, why: string) => never,
  bound: number,
): { paths: bigint; longestPath: number } {
  const indegree = new Array<number>(worlds.length).fill(0);
  for (const out of successorsOf) for (const to of out) indegree[to] = (indegree[to] as number) + 1;
  const order: number[] = [];
  for (let id = 0; id < worlds.length; id++) if (indegree[id] === 0) order.push(id);
  for (let i = 0; i < order.length; i++) {
    for (const to of successorsOf[order[i] as number] as number[]) {
      indegree[to] = (indegree[to] as number) - 1;
      if (indegree[to] === 0) order.push(to);
    }
  }
  if (order.length !== worlds.length) {
    const inCycle = indegree.findIndex((d) => d > 0);
    failAt(inCycle, 'terminates', 'a cycle: some path never ends');
  }
  const paths = new Array<bigint>(worlds.length).fill(0n);
  const longest = new Array<number>(worlds.length).fill(0);
  for (let i = order.length - 1; i >= 0; i--) {
    const id = order[i] as number;
    const out = successorsOf[id] as number[];
    if (out.length === 0) {
      paths[id] = 1n;
      continue;
    }
    let sum = 0n;
    let max = 0;
    for (const to of out) {
      sum += paths[to] as bigint;
      max = Math.max(max, (longest[to] as number) + 1);
    }
    paths[id] = sum;
    longest[id] = max;
  }
  const longestPath = longest[0] as number;
  if (longestPath > bound) failAt(0, 'terminates', `the longest path has ${longestPath} inputs, more than the bound of ${bound}`);
  return { paths: paths[0] as bigint, longestPath };
}

function terminalCounts(worlds: World[]): ExploreReport['terminal'] {
  const finals = worlds.filter(isFinal);
  return {
    completed: finals.filter((w) => w.state.status === 'completed').length,
    compensated: finals.filter((w) => w.state.status === 'compensated').length,
    parked: finals.filter((w) => w.state.status === 'failed').length,
  };
}
