/**
 * Durable signals, the pure part: a step declared with `.waitFor(…)` waits for a named signal
 * from outside (`engine.signal`). Everything here is pure; `evolve`, `decide`, `transition` and
 * `violations` call into it from one line each, so the signal rules live in one file.
 *
 *   SignalReceived → the signal is kept in the saga's inbox (deduplicated by its id), whether or
 *                    not a step waits for it yet;
 *   SignalAwaited  → the saga reaches the waiting step: the wait and its deadline are recorded
 *                    (no attempt, no lease: a worker holds nothing while the saga waits);
 *   SignalConsumed → the oldest kept signal of the wait's name ends the wait; StepSucceeded
 *                    follows with its payload as the step's output;
 *   past the deadline, the wait fails as the step's (or saga's) classifier said at definition
 *   time (default permanent → compensate; transient → wait again within the retry budget).
 */
import { ErrorCode } from './errors.js';
import type { SagaCommand } from './decide.js';
import type { ErrorInfo, SagaEvent } from './events.js';
import { sagaEvent } from './events.js';
import { recover } from './recover.js';
import type { SagaModel, StepModel } from './sagaModel.js';
import type { ReceivedSignal, SignalArrival, SignalBook, SignalCommand, SignalDraft, SignalEvent, SignalWaitModel } from './signalTypes.js';
import type { SagaState, StepState } from './sagaState.js';
import { SagaStatus } from './sagaState.js';

export type * from './signalTypes.js';

/** The code of the error a timed-out wait records (and its classifiers see). */
export const SIGNAL_TIMEOUT_CODE = ErrorCode.SignalTimeout;

const EMPTY_BOOK: SignalBook = Object.freeze({ received: [], inbox: [], consumed: {}, waiting: null }) as SignalBook;

/** The saga's signal book; an empty one when no signal event was folded yet. */
export function signalBookOf(state: SagaState): SignalBook {
  return state.signals ?? EMPTY_BOOK;
}

function isDone(st: StepState | undefined): boolean {
  return st !== undefined && st.status !== 'pending' && st.status !== 'running' && st.status !== 'failed';
}

/**
 * The step a signal named `name` is for: the first step of the definition that waits for that
 * name and has not finished (succeeded, skipped, compensated); undefined when none will wait
 * for it any more, or when the saga is not running. Pure.
 */
export function stepAwaiting(model: SagaModel, state: SagaState, name: string): StepModel | undefined {
  if (state.status !== SagaStatus.Running || state.cancelRequested !== null) return undefined;
  return model.steps.find((m) => m.signal?.name === name && !isDone(state.steps.find((s) => s.name === m.name)));
}

/**
 * The events a signal appends: `[SignalReceived]`; `[]` for a signal whose id was received
 * already (it is applied once); undefined when nothing will consume it (the saga is not
 * running, or no step left waits for that name), which the engine refuses. Pure.
 */
export function receiveSignal(model: SagaModel, state: SagaState, signal: SignalArrival): SagaEvent[] | undefined {
  if (signalBookOf(state).received.includes(signal.signalId)) return [];
  if (stepAwaiting(model, state, signal.name) === undefined) return undefined;
  return [sagaEvent('SignalReceived', { signalId: signal.signalId, name: signal.name, payload: signal.payload, at: signal.now })];
}

/** Applies a signal event to the draft of `evolve` in place; `st` is the event's step. Pure over its inputs. */
export function applySignalEvent(s: SignalDraft, event: SignalEvent, st: StepState | undefined): void {
  const book = s.signals ?? EMPTY_BOOK;
  switch (event.type) {
    case 'SignalReceived': {
      const d = event.data;
      if (book.received.includes(d.signalId)) return; // the same signal again: applied once
      const received: ReceivedSignal = { signalId: d.signalId, name: d.name, payload: d.payload, at: d.at };
      s.signals = { ...book, received: [...book.received, d.signalId], inbox: [...book.inbox, received] };
      return;
    }
    case 'SignalAwaited': {
      const d = event.data;
      if (st) {
        st.status = 'running';
        st.attempts = d.attempt;
        st.firstStartedAt ??= d.at;
      }
      s.retry = null;
      s.signals = { ...book, waiting: { step: d.step, attempt: d.attempt, signal: d.signal, until: d.until } };
      return;
    }
    case 'SignalConsumed': {
      const d = event.data;
      if (!book.inbox.some((r) => r.signalId === d.signalId)) return;
      s.signals = {
        ...book,
        inbox: book.inbox.filter((r) => r.signalId !== d.signalId),
        consumed: { ...book.consumed, [d.step]: d.signalId },
        waiting: null,
      };
      return;
    }
  }
}

/**
 * Ends the wait under way when `event` ends it otherwise: the step's failure (a timeout),
 * compensation, or a terminal event. A wait stopped by compensation or parking leaves its step
 * pending (it never got its signal). Called by `evolve` after every event while a wait is under way.
 */
export function endWaitIfOver(s: SignalDraft, event: SagaEvent, stepOf: (name: string) => StepState | undefined): void {
  const waiting = s.signals?.waiting;
  if (!waiting) return;
  switch (event.type) {
    case 'StepFailed':
    case 'StepSucceeded':
      if (event.data.step !== waiting.step) return;
      break;
    case 'CompensationPlanned':
    case 'SagaCompleted':
    case 'SagaCompensated':
    case 'SagaFailed': {
      const st = stepOf(waiting.step);
      if (st?.status === 'running') st.status = 'pending';
      break;
    }
    default:
      return;
  }
  s.signals = { ...(s.signals as SignalBook), waiting: null };
}

/** A step's signal model, undefined for a step that runs an action. */
export function signalOf(model: SagaModel, step: string): SignalWaitModel | undefined {
  return model.steps.find((m) => m.name === step)?.signal;
}

/**
 * What `decide` does for a running saga while a wait is under way: consume a kept signal of
 * its name, time out past the deadline, or wait until it. Undefined when no wait is under way.
 */
export function decideWaiting(state: SagaState, now: number): SignalCommand | Extract<SagaCommand, { type: 'Wait' }> | undefined {
  const book = state.signals;
  const waiting = book?.waiting;
  if (!book || !waiting) return undefined;
  const signal = book.inbox.find((r) => r.name === waiting.signal);
  if (signal) return { type: 'ConsumeSignal', step: waiting.step, attempt: waiting.attempt, signal };
  if (now >= waiting.until) return { type: 'TimeOutSignal', step: waiting.step, attempt: waiting.attempt };
  return { type: 'Wait', until: waiting.until, reason: 'signal' };
}

/** The command to start attempt `attempt` of step `step`: a wait for a waiting step, else `run`. */
export function awaitOrRun<TRun>(model: SagaModel, step: string, attempt: number, now: number, run: () => TRun): TRun | SignalCommand {
  const signal = signalOf(model, step);
  return signal ? { type: 'AwaitSignal', step, attempt, signal: signal.name, until: now + signal.timeoutMs } : run();
}

/** Whether `command` is one of the {@link SignalCommand}s. */
export function isSignalCommand(command: { type: string }): command is SignalCommand {
  return command.type === 'AwaitSignal' || command.type === 'ConsumeSignal' || command.type === 'TimeOutSignal';
}

/** The error a timed-out wait records. */
export function signalTimeoutError(step: string, attempt: number, signal: string, timeoutMs: number): ErrorInfo {
  return {
    name: 'SignalTimeoutError',
    code: SIGNAL_TIMEOUT_CODE,
    message: `step ${step} waited ${timeoutMs} ms for signal "${signal}" (wait ${attempt}) and none came`,
  };
}

/** The events of a signal command. Pure: `now` and `random` (the retry jitter) are given. */
export function signalCommandEvents(model: SagaModel, state: SagaState, command: SignalCommand, now: number, random: number): SagaEvent[] {
  switch (command.type) {
    case 'AwaitSignal':
      return [sagaEvent('SignalAwaited', { step: command.step, attempt: command.attempt, signal: command.signal, until: command.until, at: now })];
    case 'ConsumeSignal': {
      const { step, attempt, signal } = command;
      return [
        sagaEvent('SignalConsumed', { step, attempt, signalId: signal.signalId, at: now }),
        sagaEvent('StepSucceeded', { step, attempt, output: signal.payload, at: now }),
      ];
    }
    case 'TimeOutSignal': {
      const wait = signalOf(model, command.step);
      const name = state.signals?.waiting?.signal ?? wait?.name ?? '?';
      const error = signalTimeoutError(command.step, command.attempt, name, wait?.timeoutMs ?? 0);
      return recover(
        model,
        state,
        { phase: 'step', step: command.step, attempt: command.attempt, kind: wait?.timeoutKind ?? 'permanent', error },
        { now, random },
      );
    }
  }
}

/** The signal rules of `valid`, in words: empty when they hold. Pure. */
export function signalViolations(state: SagaState, model?: SagaModel): string[] {
  const book = state.signals;
  if (!book) return [];
  const problems: string[] = [];
  const received = new Set(book.received);
  if (received.size !== book.received.length) problems.push('a signal was received twice (applied more than once)');
  const consumed = Object.entries(book.consumed);
  const consumedIds = new Set(consumed.map(([, id]) => id));
  if (consumedIds.size !== consumed.length) problems.push('a signal was consumed by two steps');
  for (const r of book.inbox) {
    if (!received.has(r.signalId)) problems.push(`signal ${r.signalId} is kept but was never received`);
    if (consumedIds.has(r.signalId)) problems.push(`signal ${r.signalId} is kept and consumed`);
  }
  const kept = new Set(book.inbox.map((r) => r.signalId));
  for (const id of book.received) if (!kept.has(id) && !consumedIds.has(id)) problems.push(`signal ${id} was received but is neither kept nor consumed (lost)`);
  for (const [step, id] of consumed) {
    if (!received.has(id)) problems.push(`step ${step} consumed signal ${id}, which was never received`);
    if (!state.succeeded.includes(step)) problems.push(`step ${step} consumed a signal but did not succeed`);
    if (model && !signalOf(model, step)) problems.push(`step ${step} consumed a signal but waits for none`);
  }
  const w = book.waiting;
  if (w) {
    if (state.status !== SagaStatus.Running) problems.push(`waiting for signal ${w.signal} while ${state.status}`);
    if (state.inFlight !== null) problems.push('waiting for a signal with an attempt in flight');
    if (state.steps.find((s) => s.name === w.step)?.status !== 'running') problems.push(`waiting step ${w.step} is not running`);
    if (model && signalOf(model, w.step)?.name !== w.signal) problems.push(`step ${w.step} does not wait for signal ${w.signal}`);
  }
  return problems;
}
