/**
 * `engine.signal(sagaId, name, payload)`: validates the payload with the waiting step's schema
 * and appends one SignalReceived at the expected revision. It drives nothing itself: the
 * engine (or any worker following the store) then drives the saga, and a waiting step consumes
 * the signal. Refusals are typed and append nothing.
 */
import {
  InputValidationError,
  SagaFinishedError,
  SagaNotFoundError,
  SignalNotAwaitedError,
  SignalPayloadInvalidError,
  StreamVersionConflictError,
} from '../core/errors.js';
import { isTerminal, type SagaState } from '../core/sagaState.js';
import { receiveSignal, signalBookOf, stepAwaiting } from '../core/signals.js';
import type { AnySagaDefinition } from '../definition/defineSaga.js';
import { describeIssue, validateWith } from '../definition/standardSchema.js';
import type { EventStore } from '../stores/eventStore.js';
import type { Clock } from './clock.js';
import { newId } from './ids.js';
import { loadSaga, sagaStreamId, toNewEvents } from './sagaStream.js';

/** Options of {@link Engine.signal}. */
export interface SignalOptions {
  /**
   * The signal's id (1-255 characters): a signal sent again with the same id is applied once
   * (the second send appends nothing and resolves with `duplicate: true`). Without one, the
   * engine makes a fresh UUID v7, so every call is another signal: pass an id (a webhook's
   * event id, a message id) whenever the sender may retry.
   */
  signalId?: string;
}

/** What {@link Engine.signal} resolves with once the signal is durable. */
export interface SignalResult {
  /** The signal's id: the one given, or the one made. */
  signalId: string;
  /** True when a signal with this id had been received already: nothing was appended. */
  duplicate: boolean;
}

/** What sending a signal needs from the engine. */
export interface SignalDeps {
  store: EventStore;
  clock: Clock;
  workerId: string;
  definitionOf(state: SagaState): AnySagaDefinition;
  /** Drives the saga now, when this engine runs sagas. */
  kick?: (sagaId: string) => void;
}

const MAX_SIGNAL_ID_LENGTH = 255;

/** See {@link Engine.signal}. */
export async function sendSignal(deps: SignalDeps, sagaId: string, name: string, payload: unknown, options: SignalOptions = {}): Promise<SignalResult> {
  const given = options.signalId;
  if (given !== undefined && (typeof given !== 'string' || given.length === 0 || given.length > MAX_SIGNAL_ID_LENGTH)) {
    throw new InputValidationError(`Invalid signalId for saga ${sagaId}: use 1-${MAX_SIGNAL_ID_LENGTH} characters. Nothing was appended.`, {
      details: { sagaId, signal: name, field: 'signalId' },
    });
  }
  const signalId = given ?? newId();
  for (;;) {
    const loaded = await loadSaga(deps.store, sagaId);
    const state = loaded.state;
    if (!state)
      throw new SagaNotFoundError(`No saga ${sagaId} (stream ${sagaStreamId(sagaId)} is empty): the signal was not recorded.`, { details: { sagaId } });
    // A repeated send answers as the first did, whatever happened since. It still kicks: when
    // another sender's append won the race, this engine may run the saga without following the store.
    if (signalBookOf(state).received.includes(signalId)) {
      deps.kick?.(sagaId);
      return { signalId, duplicate: true };
    }
    if (isTerminal(state)) {
      throw new SagaFinishedError(`Saga ${sagaId} has ended (${state.status}): signal "${name}" was not recorded; nothing will wait for it.`, {
        details: { sagaId, signal: name, status: state.status },
      });
    }
    const definition = deps.definitionOf(state);
    const awaiting = stepAwaiting(definition, state, name);
    const schema = definition.steps.find((s) => s.name === awaiting?.name)?.signal?.payload;
    if (!awaiting || !schema) {
      const why =
        state.status === 'running' && state.cancelRequested === null
          ? `no step of ${state.saga}@${state.version} waits for it${definition.steps.some((s) => s.signal?.name === name) ? ' any more (each one got its signal)' : ''}`
          : `the saga is ${state.cancelRequested === null ? state.status : 'cancelled'}`;
      throw new SignalNotAwaitedError(`Signal "${name}" for saga ${sagaId} was not recorded: ${why}.`, {
        details: { sagaId, signal: name, status: state.status },
      });
    }
    const parsed = await validateWith(schema, payload);
    if (parsed.issues) {
      throw new SignalPayloadInvalidError(
        `Invalid payload for signal "${name}" of saga ${sagaId} (step ${awaiting.name}): ${parsed.issues.map(describeIssue).join('; ')}. Nothing was appended.`,
        { details: { sagaId, signal: name, step: awaiting.name, issues: parsed.issues } },
      );
    }
    const stored = JSON.parse(JSON.stringify(parsed.value ?? null)) as unknown;
    const events = receiveSignal(definition, state, { signalId, name, payload: stored, now: deps.clock.now() }) ?? [];
    if (events.length === 0) {
      deps.kick?.(sagaId);
      return { signalId, duplicate: true };
    }
    try {
      await deps.store.append(sagaStreamId(sagaId), toNewEvents(events, { sagaId, saga: state.saga, worker: deps.workerId }), loaded.revision);
    } catch (error) {
      // Someone else wrote (the worker, another sender): read again and decide on what is there now.
      if (error instanceof StreamVersionConflictError) continue;
      throw error;
    }
    deps.kick?.(sagaId);
    return { signalId, duplicate: false };
  }
}
