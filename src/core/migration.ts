/**
 * Versioned definitions, the pure part: what a declared migration sees of a saga, when a saga
 * may move from version n to n + 1, the `SagaMigrated` event that records the move, what that
 * event does to the state (folded by `evolve`), and the stream rule that a saga never changes
 * version without one. Pure: no I/O, no clock; the runtime runs the user's `migrate` and hands
 * its result here.
 */
import type { SagaEventOf } from './events.js';
import { sagaEvent } from './events.js';
import type { SagaModel } from './sagaModel.js';
import type { SagaState, StepState } from './sagaState.js';
import { SagaStatus } from './sagaState.js';

/** What a migration's `migrate` sees of the saga it moves forward: plain JSON, as stored. */
export interface MigrationSnapshot {
  /** The saga's id. */
  sagaId: string;
  /** The version the saga runs with now (the migration's `from`). */
  version: number;
  /** The input, as validated by the old version's schema. */
  input: unknown;
  /** Outputs of the steps that succeeded so far, by (old) step name. */
  outputs: Record<string, unknown>;
  /** The steps that succeeded so far, in the order they did. */
  succeeded: readonly string[];
  /** The optional steps skipped so far. */
  skipped: readonly string[];
  /** The step in flight or waiting for its retry, whose outcome is not known yet; null when none. */
  current: string | null;
}

/**
 * What a migration returns: the saga as the new version sees it. A step of the new version
 * counts as done when `outputs` has its name (succeeded) or `skipped` lists it (an optional
 * step); the done steps must be a prefix of the new version's steps, and the step in flight
 * (`current`) must be the first step after them, under the same name.
 */
export interface MigrationResult {
  /** The input the new version's steps see (validated by its schema). */
  input: unknown;
  /** Outputs of the new version's done steps, by step name. */
  outputs: Record<string, unknown>;
  /** Optional steps of the new version that count as skipped. @default [] */
  skipped?: readonly string[];
}

/** Why a saga cannot move to another version now. */
export interface MigrationBlocker {
  /** `status`: it is not running (compensating or finished sagas end on their own version); `lease`: a live worker holds its attempt. */
  reason: 'status' | 'lease';
  /** For the operator. */
  message: string;
  /** For `lease`: when the holder's lease (or liveness record) ends, ms since the epoch. */
  until?: number;
  /** For `lease`: the worker holding the attempt. */
  worker?: string;
}

/** The step in flight, or waiting for its retry: its outcome is not known yet. */
function currentStep(state: SagaState): string | null {
  if (state.inFlight?.phase === 'step') return state.inFlight.step;
  if (state.retry?.phase === 'step') return state.retry.step;
  return null;
}

/** What `migrate` is given. Pure. */
export function migrationSnapshot(state: SagaState): MigrationSnapshot {
  return {
    sagaId: state.sagaId,
    version: state.version,
    input: state.input,
    outputs: { ...state.outputs },
    succeeded: [...state.succeeded],
    skipped: state.steps.filter((s) => s.status === 'skipped').map((s) => s.name),
    current: currentStep(state),
  };
}

/**
 * Why the saga cannot change version at `now`, undefined when it can. Only a running saga
 * moves (a compensating one undoes what its own version did); an attempt in flight must be in
 * doubt first (its lease, or its worker's liveness record in `workerAliveUntil`, has ended),
 * so no worker still running the old step records its outcome into the new version. Pure.
 */
export function migrationBlocker(state: SagaState, now: number, workerAliveUntil?: ReadonlyMap<string, number>): MigrationBlocker | undefined {
  if (state.status !== SagaStatus.Running) {
    return { reason: 'status', message: `a ${state.status} saga ends on the version it started with (${state.saga}@${state.version})` };
  }
  const f = state.inFlight;
  if (!f) return undefined;
  const alive = workerAliveUntil?.get(f.worker);
  const until = alive === undefined ? f.leaseUntil : alive === 0 ? 0 : Math.max(f.leaseUntil, alive);
  if (until <= now) return undefined;
  return {
    reason: 'lease',
    until,
    worker: f.worker,
    message: `worker ${f.worker} holds ${f.phase} ${f.step} attempt ${f.attempt} until ${until} (ms since the epoch)`,
  };
}

/** What {@link migrationEvent} returns: the event, or the problem that makes the result unfit. */
export type MigrationEventResult =
  | {
      /** The event to append. */
      event: SagaEventOf<'SagaMigrated'>;
      /** Absent: the result fits. */
      problem?: undefined;
    }
  | {
      /** Absent: nothing to append. */
      event?: undefined;
      /** Why the result does not fit the new version, for the operator. */
      problem: string;
    };

/**
 * The `SagaMigrated` event that moves `state` to `target` (its next version) with what a
 * migration returned, or the problem that makes the result unfit. Pure; does not check
 * {@link migrationBlocker} (call it first).
 */
export function migrationEvent(state: SagaState, target: SagaModel, result: MigrationResult, now: number): MigrationEventResult {
  const where = `${state.saga}@${state.version} → @${target.version}`;
  if (target.name !== state.saga || target.version !== state.version + 1) return { problem: `${where}: the target must be ${state.saga}@${state.version + 1}` };
  const names = new Set(target.steps.map((s) => s.name));
  const outputs = result.outputs ?? {};
  const skipped = new Set(result.skipped ?? []);
  for (const name of Object.keys(outputs))
    if (!names.has(name)) return { problem: `${where}: an output for step ${name}, which version ${target.version} does not have` };
  for (const name of skipped) {
    const s = target.steps.find((m) => m.name === name);
    if (!s?.optional) return { problem: `${where}: step ${name} is marked skipped but is not an optional step of version ${target.version}` };
    if (Object.hasOwn(outputs, name)) return { problem: `${where}: step ${name} is both succeeded (has an output) and skipped` };
  }
  const done = (name: string): boolean => Object.hasOwn(outputs, name) || skipped.has(name);
  const lastDone = target.steps.findLastIndex((s) => done(s.name));
  const gap = target.steps.slice(0, lastDone + 1).find((s) => !done(s.name));
  if (gap) return { problem: `${where}: step ${gap.name} comes before a done step but the migration marks it neither succeeded nor skipped` };
  const current = currentStep(state);
  if (current !== null && target.steps[lastDone + 1]?.name !== current) {
    return {
      problem: `${where}: step ${current} is in flight (its outcome unknown) and must be the first step of version ${target.version} after the done ones`,
    };
  }
  const retry = state.retry?.phase === 'step' ? state.retry : null;
  const budget = current === null ? undefined : target.steps[lastDone + 1]?.retry.maxAttempts;
  if (retry && budget !== undefined && retry.attempt > budget) {
    // The old version scheduled an attempt the new budget does not allow; the new version cannot record it as exhausted without an attempt.
    return {
      problem: `${where}: step ${retry.step} has attempt ${retry.attempt} scheduled, but version ${target.version} allows ${budget}: give it a budget of at least ${retry.attempt}, or migrate once the retry has run`,
    };
  }
  const before = new Map<string, StepState>(state.steps.map((s) => [s.name, s]));
  const steps = target.steps.map((m) => {
    const old = before.get(m.name);
    const carried = done(m.name) || m.name === current ? (old?.attempts ?? 0) : 0;
    // Attempts of the old version count against the new budget, capped by it: the new policy decides from here.
    return { name: m.name, optional: m.optional, checkpoint: m.checkpoint, compensable: m.compensable, attempts: Math.min(carried, m.retry.maxAttempts) };
  });
  const succeeded = target.steps.filter((m) => Object.hasOwn(outputs, m.name)).map((m) => m.name);
  return {
    event: sagaEvent('SagaMigrated', {
      from: state.version,
      to: target.version,
      steps,
      input: result.input,
      outputs: { ...outputs },
      succeeded,
      skipped: target.steps.filter((m) => skipped.has(m.name)).map((m) => m.name),
      at: now,
    }),
  };
}

/**
 * What `SagaMigrated` does to a state, in place on evolve's private draft (never a caller's
 * state). A migration whose `from` is not the saga's version, or of a saga that is not running,
 * changes nothing: the version changes only by a consistent migration event.
 */
export function applyMigration(s: SagaState, d: SagaEventOf<'SagaMigrated'>['data']): void {
  if (d.from !== s.version || d.to !== d.from + 1 || s.status !== SagaStatus.Running) return;
  const current = currentStep(s);
  const before = new Map(s.steps.map((st) => [st.name, st]));
  const succeeded = new Set(d.succeeded);
  const skipped = new Set(d.skipped);
  s.steps = d.steps.map((shape): StepState => {
    const old = before.get(shape.name);
    const carried = shape.name === current && old !== undefined && !succeeded.has(shape.name) && !skipped.has(shape.name);
    return {
      name: shape.name,
      optional: shape.optional,
      checkpoint: shape.checkpoint,
      compensable: shape.compensable,
      status: succeeded.has(shape.name) ? 'succeeded' : skipped.has(shape.name) ? 'skipped' : carried ? old.status : 'pending',
      attempts: shape.attempts,
      firstStartedAt: old?.firstStartedAt ?? null,
      compensationAttempts: 0,
      compensationAttemptsBeforeResume: 0,
      compensationFirstStartedAt: null,
      lastError: carried ? old.lastError : null,
    };
  });
  if (current !== null && !s.steps.some((st) => st.name === current && st.status !== 'succeeded' && st.status !== 'skipped')) {
    // The step in doubt is gone from the new version (the migration counted it done): nothing of it stays in flight.
    s.inFlight = null;
    s.retry = null;
  }
  s.version = d.to;
  s.input = d.input;
  s.outputs = { ...d.outputs };
  s.succeeded = [...d.succeeded];
}
