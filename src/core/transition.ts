/**
 * transition(model, state, input, ctx) → { events, effects }: the one pure function a saga
 * runtime needs. It records what the input reports (an outcome through `recover`, a cancel),
 * then settles the saga: it takes every step `decide` calls for that needs no I/O (checkpoint,
 * begin compensation, abandon an in-doubt step, park, complete) until the saga needs an
 * attempt performed, a timer, or nothing. The runtime appends the events in one append at the
 * expected revision, performs the effects and feeds their outcomes back; it decides nothing.
 *
 * An input that makes no sense in the state (the outcome of an attempt that is not in flight,
 * or not this worker's) throws UnexpectedInputError: there is nothing to append for it, and a
 * runtime that meets one has been fenced off and drops the outcome. Throwing, rather than
 * returning an error value, keeps the common answer a plain { events, effects } and makes the
 * rejection impossible to ignore by accident.
 */
import { pastCancelPoint } from './childPhase.js';
import { decide } from './decide.js';
import { UnexpectedInputError } from './errors.js';
import type { ErrorInfo, SagaEvent } from './events.js';
import { sagaEvent } from './events.js';
import { fold } from './evolve.js';
import type { Failure } from './recover.js';
import { compensationPlan, planCompensation, recover } from './recover.js';
import { attemptsInFlight, findInFlight, groupCompensation } from './parallelGroup.js';
import { branchCancellations, withBranchLeases } from './parallelTransition.js';
import type { SagaModel } from './sagaModel.js';
import type { SagaState } from './sagaState.js';
import { SagaStatus } from './sagaState.js';
import { receiveSignal, signalCommandEvents } from './signals.js';
import type { AttemptRef, Effect, Transition, TransitionContext, TransitionInput } from './transitionTypes.js';
import { remember } from './transitionState.js';
import { utf8Length } from './utf8Length.js';

export type * from './transitionTypes.js';

/** Half the stores' default event size limit (1 MiB): a snapshot must leave room for the rest. */
export const DEFAULT_MAX_SNAPSHOT_BYTES = 512 * 1024;

/** What an attempt whose worker was lost leaves behind, for the failure event. */
export function inDoubtError(attempt: number): ErrorInfo {
  return { name: 'InDoubtError', code: 'IN_DOUBT', message: `attempt ${attempt} never reported an outcome (worker lost) and no attempts are left` };
}

/** The error a timed-out attempt records: the same as the runtime's StepTimeoutError gives. */
export function timeoutError(ref: AttemptRef, timeoutMs: number): ErrorInfo {
  return { name: 'StepTimeoutError', code: 'STEP_TIMEOUT', message: `${ref.phase} ${ref.step} attempt ${ref.attempt} timed out after ${timeoutMs} ms` };
}

/** Events and effects built up over one transition, with the state they fold to. */
class Builder {
  readonly events: SagaEvent[] = [];
  readonly effects: Effect[] = [];
  constructor(public state: SagaState) {}

  add(events: SagaEvent[]): void {
    this.events.push(...events);
    // One fold per batch: evolve per event would copy the whole state each time.
    this.state = fold(events, this.state) as SagaState;
  }
}

function draw(ctx: TransitionContext): number {
  return typeof ctx.random === 'function' ? ctx.random() : ctx.random;
}

function checkpointEvent(state: SagaState, now: number, ctx: TransitionContext): SagaEvent {
  const step = state.checkpointDue ? (state.succeeded.at(-1) ?? null) : null;
  // A snapshot too large for one event is left out: loads then fold the whole stream.
  const fits = utf8Length(JSON.stringify(state)) < (ctx.maxSnapshotBytes ?? DEFAULT_MAX_SNAPSHOT_BYTES);
  return sagaEvent('CheckpointRecorded', { step, snapshot: fits ? state : null, at: now });
}

/** What a liveness record of 0 says: the worker is known dead. */
const KNOWN_DEAD = 0;

/**
 * The state as `decide` should see it: the in-flight attempt of another worker whose liveness
 * the runtime knows lasts as long as that worker (see TransitionContext.workerAliveUntil).
 * Only what `decide` reads changes; the events folded (and any snapshot) keep the stream's own
 * leaseUntil.
 */
function withWorkerLease(state: SagaState, ctx: TransitionContext): SagaState {
  if (state.parallel && state.parallel.inFlight.length > 0) return withBranchLeases(state, ctx);
  const f = state.inFlight;
  if (f === null || f.worker === ctx.workerId) return state;
  const aliveUntil = ctx.workerAliveUntil?.get(f.worker);
  if (aliveUntil === undefined) return state;
  // A record renewed before this attempt started may have expired since: it shortens nothing.
  const leaseUntil = aliveUntil === KNOWN_DEAD ? KNOWN_DEAD : Math.max(f.leaseUntil, aliveUntil);
  return leaseUntil === f.leaseUntil ? state : { ...state, inFlight: { ...f, leaseUntil } };
}

/**
 * Takes every step `decide` calls for that needs no I/O, until the saga needs an attempt, a
 * timer, or nothing. Terminal commands end it: after them `decide` has nothing more to say.
 */
function settle(model: SagaModel, out: Builder, now: number, ctx: TransitionContext): void {
  if (ctx.draining) return;
  for (;;) {
    const state = out.state;
    const command = decide(model, withWorkerLease(state, ctx), now);
    switch (command.type) {
      case 'RecordCheckpoint':
        out.add([checkpointEvent(state, now, ctx)]);
        continue;
      case 'BeginCompensation':
        out.add(planCompensation(state, command.cause, null, now));
        continue;
      case 'CompensateGroup':
        out.add(groupCompensation(state, command.step, command.cause, compensationPlan(state, command.cause === 'partial' ? command.step : null), now));
        continue;
      case 'AbandonStep':
        // The lost attempt may have applied its effect, so it is recovered as a partial failure:
        // its own (idempotent) compensation runs too.
        out.add(
          recover(
            model,
            state,
            { phase: 'step', step: command.step, attempt: command.attempt, kind: 'partial', error: inDoubtError(command.attempt) },
            { now, random: draw(ctx) },
          ),
        );
        continue;
      case 'Park':
        out.add([sagaEvent('SagaFailed', { reason: command.reason, step: command.step, needsAttention: true, at: now })]);
        return;
      case 'Complete':
        // Small on purpose: the outputs are in the stream already, and the result is a fold.
        out.add([sagaEvent('SagaCompleted', { at: now })]);
        return;
      case 'FinishCompensated':
        out.add([sagaEvent('SagaCompensated', { at: now })]);
        return;
      case 'RunStep':
      case 'RunCompensation': {
        const phase = command.type === 'RunStep' ? 'step' : 'compensation';
        const leaseUntil = now + ctx.leaseMs;
        const intent = { step: command.step, attempt: command.attempt, worker: ctx.workerId, leaseUntil, at: now };
        // The intent is appended before the effect runs: a crash after it leaves the attempt in doubt, never unknown.
        out.add([phase === 'step' ? sagaEvent('StepStarted', intent) : sagaEvent('CompensationStarted', intent)]);
        out.effects.push({ type: 'PerformAttempt', phase, step: command.step, attempt: command.attempt, idempotencyKey: command.idempotencyKey, leaseUntil });
        // The branches of a parallel group start together, up to its concurrency limit.
        if (phase === 'step' && out.state.parallel?.inFlight.some((f) => f.step === command.step)) continue;
        return;
      }
      case 'AwaitSignal':
      case 'ConsumeSignal':
      case 'TimeOutSignal':
        out.add(signalCommandEvents(model, state, command, now, draw(ctx)));
        continue;
      case 'Wait':
        out.effects.push({ type: 'SetTimer', at: command.until, reason: command.reason });
        return;
      case 'Nothing':
        return;
    }
  }
}

/** Throws unless `ref` is the attempt in flight and this worker's. */
function assertInFlight(state: SagaState, ref: AttemptRef, ctx: TransitionContext, input: string): void {
  // With a parallel group, the outcome may be any of its attempts in flight: each is fenced on its own.
  const f = state.parallel && state.parallel.inFlight.length > 0 ? (findInFlight(state, ref) ?? attemptsInFlight(state)[0] ?? null) : state.inFlight;
  const same = f !== null && f.phase === ref.phase && f.step === ref.step && f.attempt === ref.attempt;
  if (same && f.worker === ctx.workerId) return;
  const reason = same ? 'not-ours' : 'not-in-flight';
  const what = `${ref.phase} ${ref.step} attempt ${ref.attempt}`;
  const message = same
    ? `${input} for ${what}, which worker ${f.worker} holds, not ${ctx.workerId}: its outcome is not ours to record`
    : `${input} for ${what}, which is not in flight (${f ? `${f.phase} ${f.step} attempt ${f.attempt} is` : 'nothing is'}): it was never started, already has an outcome, or was taken over`;
  throw new UnexpectedInputError(message, { details: { reason, phase: ref.phase, step: ref.step, attempt: ref.attempt, sagaId: state.sagaId } });
}

function recordFailure(model: SagaModel, out: Builder, failure: Failure, now: number, ctx: TransitionContext): void {
  out.add(recover(model, out.state, failure, { now, random: draw(ctx) }));
}

/**
 * The events to append and the effects to perform for one input. Pure; throws
 * UnexpectedInputError for an outcome of an attempt that is not this worker's attempt in flight.
 */
export function transition(model: SagaModel, state: SagaState, input: TransitionInput, ctx: TransitionContext): Transition {
  const out = new Builder(state);
  const now = input.now;
  // First, so the audit trail says the deadline is why the saga stopped, whatever the input.
  cancelPastDeadline(out, now);
  switch (input.type) {
    case 'Tick':
      break;
    case 'AttemptSucceeded': {
      assertInFlight(state, input, ctx, input.type);
      const { step, attempt, durationMs } = input;
      out.add([
        input.phase === 'step'
          ? sagaEvent('StepSucceeded', { step, attempt, output: input.output, durationMs, at: now })
          : sagaEvent('CompensationSucceeded', { step, attempt, durationMs, at: now }),
      ]);
      break;
    }
    case 'AttemptFailed':
      assertInFlight(state, input, ctx, input.type);
      recordFailure(
        model,
        out,
        { phase: input.phase, step: input.step, attempt: input.attempt, kind: input.kind, error: input.error, durationMs: input.durationMs },
        now,
        ctx,
      );
      break;
    case 'AttemptTimedOut':
      assertInFlight(state, input, ctx, input.type);
      recordFailure(
        model,
        out,
        {
          phase: input.phase,
          step: input.step,
          attempt: input.attempt,
          kind: 'transient',
          error: timeoutError(input, input.timeoutMs),
          durationMs: input.durationMs,
        },
        now,
        ctx,
      );
      break;
    case 'Fenced':
      // Nothing of a fenced attempt is recorded: whoever holds the saga now records its own.
      break;
    case 'CancelRequested':
      // Only a running saga can be cancelled (evolve ignores later requests): record nothing else.
      if (out.state.status !== SagaStatus.Running || out.state.cancelRequested !== null) {
        if (out.events.length === 0) return { events: [], effects: [] };
        break; // the deadline's cancel came first
      }
      out.add([sagaEvent('SagaCancelRequested', { reason: input.reason, at: now })]);
      break;
    case 'Signal': {
      // Recorded once (a known id adds nothing), then settled like a Tick: a waiting step consumes it.
      const received = receiveSignal(model, out.state, input);
      if (received === undefined && out.events.length === 0) return { events: [], effects: [] };
      out.add(received ?? []);
      break;
    }
  }
  settle(model, out, now, ctx);
  // A group that stops (a branch failed for good, or the saga was cancelled): its other branches' signals fire.
  out.effects.unshift(...branchCancellations(state, out.state));
  wakeAtDeadline(out);
  return remember({ events: out.events, effects: out.effects }, out.state);
}

/** A running saga past its deadline is cancelled: the runtime stops its running step, and it compensates. */
function cancelPastDeadline(out: Builder, now: number): void {
  const s = out.state;
  if (s.status !== SagaStatus.Running || s.cancelRequested !== null || s.deadlineAt === undefined || now < s.deadlineAt || pastCancelPoint(s)) return;
  out.add([sagaEvent('SagaCancelRequested', { reason: `deadline passed: the saga had to end by ${s.deadlineAt} (ms since the epoch)`, at: now })]);
}

/** A running saga with a deadline to come asks to be woken at it, whatever else it waits for. */
function wakeAtDeadline(out: Builder): void {
  const s = out.state;
  if (s.status !== SagaStatus.Running || s.cancelRequested !== null || s.deadlineAt === undefined || pastCancelPoint(s)) return;
  out.effects.push({ type: 'SetTimer', at: s.deadlineAt, reason: 'deadline' });
}
