/**
 * Signal scenarios: a saga with waiting steps plus a sequence of what happens to it — signals
 * sent (by a client that only appends SignalReceived, or fed to the worker as a Signal input),
 * in any order, any number of times with one id; attempt outcomes; time passing (timeouts);
 * a cancel. `runSignalScenario` drives the pure `transition` through it, then to the end.
 * Plain data, so a failing property prints a scenario that can be pasted into a unit test.
 */
import type { FailureKind, SagaEvent } from '../core/events.js';
import { sagaEvent } from '../core/events.js';
import { fold } from '../core/evolve.js';
import { DEFAULT_COMPENSATION_RETRY_POLICY, DEFAULT_RETRY_POLICY } from '../core/retryPolicy.js';
import type { RetryPolicy } from '../core/retryPolicy.js';
import type { SagaModel } from '../core/sagaModel.js';
import { stepShapes } from '../core/sagaModel.js';
import type { SagaState } from '../core/sagaState.js';
import { isTerminal } from '../core/sagaState.js';
import { receiveSignal } from '../core/signals.js';
import type { Effect, TransitionInput } from '../core/transition.js';
import { transition } from '../core/transition.js';

/** One step of a signal scenario. */
export interface SignalStepScenario {
  /** The step's name. */
  name: string;
  /** The signal it waits for; null for a step that runs an action. */
  signal: string | null;
  /** How its timeout is classified (waiting steps). */
  timeoutKind: FailureKind;
  /** `optional` of the step. */
  optional: boolean;
  /** Whether the step has a compensation. */
  compensable: boolean;
}

/** What happens next to the saga. */
export type SignalScenarioInput =
  /** A signal is sent: `via: 'client'` appends SignalReceived alone, `'worker'` feeds a Signal input. */
  | {
      /** Discriminant. */
      type: 'send';
      /** The signal's id (a repeat is the same signal). */
      signalId: string;
      /** The signal's name. */
      name: string;
      /** Who sends it. */
      via: 'client' | 'worker';
    }
  /** The attempt being performed (if any) reports this outcome. */
  | {
      /** Discriminant. */
      type: 'outcome';
      /** ok, or the failure's kind. */
      kind: 'ok' | 'transient' | 'permanent';
    }
  /** Time passes by `ms`, then the worker ticks. */
  | {
      /** Discriminant. */
      type: 'advance';
      /** How long, in ms. */
      ms: number;
    }
  /** Someone cancels the saga. */
  | {
      /** Discriminant. */
      type: 'cancel';
    };

/** A saga with waiting steps and what happens to it. */
export interface SignalScenario {
  /** The steps, in order. */
  steps: SignalStepScenario[];
  /** What happens, in order; after the last, the saga is driven to its end (attempts succeed, timers fire). */
  inputs: SignalScenarioInput[];
}

/** One send of a signal scenario, with the payload it carried. */
export interface SignalSend {
  /** The signal's id. */
  signalId: string;
  /** The signal's name. */
  name: string;
  /** `{ signalId, send }`: `send` is the send's index, so every send's payload differs. */
  payload: {
    /** The signal's id. */
    signalId: string;
    /** The send's index. */
    send: number;
  };
}

/** What a run of a signal scenario gives: the stream, every state along it, and each send with the payload it carried. */
export interface SignalScenarioReport {
  /** The model run. */
  model: SagaModel;
  /** Every event appended, in order. */
  events: SagaEvent[];
  /** The state after each append. */
  states: SagaState[];
  /** For each state: true when a transition appended it (settled), false for a client's lone SignalReceived (the worker then settles). */
  settled: boolean[];
  /** Each send: its id, its name, and the payload it carried (`{ signalId, send }`, `send` its index). */
  sends: SignalSend[];
}

/** Every wait lasts this long, in ms. */
export const SIGNAL_SCENARIO_WAIT_MS = 100;

const budget: RetryPolicy = {
  ...DEFAULT_RETRY_POLICY,
  immediateAttempts: 0,
  maxAttempts: 2,
  maxElapsedMs: 1e12,
  initialDelayMs: 10,
  maxDelayMs: 10,
  jitter: 'none',
};

/** The model of a signal scenario: 2 attempts (or waits) per step, 10 ms between them, waits of 100 ms. */
export function signalScenarioModel(scenario: SignalScenario): SagaModel {
  return {
    name: 'signals',
    version: 1,
    checkpointEvery: 1_000,
    steps: scenario.steps.map((s) => ({
      name: s.name,
      optional: s.optional,
      checkpoint: false,
      compensable: s.compensable,
      retry: budget,
      compensationRetry: DEFAULT_COMPENSATION_RETRY_POLICY,
      ...(s.signal === null ? {} : { signal: { name: s.signal, timeoutMs: SIGNAL_SCENARIO_WAIT_MS, timeoutKind: s.timeoutKind } }),
    })),
  };
}

/** Drives the pure core through a signal scenario with one worker (leases never run out), then to the end. Pure. */
export function runSignalScenario(scenario: SignalScenario): SignalScenarioReport {
  const model = signalScenarioModel(scenario);
  const ctx = { workerId: 'w1', leaseMs: 1e12, random: 0 };
  const started = sagaEvent('SagaStarted', { sagaId: 'sig', saga: model.name, version: 1, input: null, steps: stepShapes(model), idempotencyKey: null, at: 0 });
  let state = fold([started]) as SagaState;
  const report: SignalScenarioReport = { model, events: [started], states: [state], settled: [false], sends: [] };
  let now = 0;
  let performing: Extract<Effect, { type: 'PerformAttempt' }> | undefined;
  let timers: number[] = [];
  const append = (events: SagaEvent[], effects: Effect[] = [], settled = true): void => {
    if (events.length > 0) {
      state = fold(events, state) as SagaState;
      report.events.push(...events);
      report.states.push(state);
      report.settled.push(settled);
    }
    const attempt = effects.find((e): e is Extract<Effect, { type: 'PerformAttempt' }> => e.type === 'PerformAttempt');
    if (attempt) performing = attempt;
    timers = effects.flatMap((e) => (e.type === 'SetTimer' ? [e.at] : []));
  };
  const feed = (input: TransitionInput): void => {
    const t = transition(model, state, input, ctx);
    append(t.events, t.effects);
  };
  const outcome = (kind: 'ok' | 'transient' | 'permanent'): void => {
    const p = performing;
    if (!p) return;
    performing = undefined;
    const ref = { phase: p.phase, step: p.step, attempt: p.attempt, durationMs: 0, now };
    feed(
      kind === 'ok'
        ? { type: 'AttemptSucceeded', ...ref, output: p.phase === 'step' ? { ran: p.step } : null }
        : { type: 'AttemptFailed', ...ref, kind, error: { name: 'Error', code: kind.toUpperCase(), message: kind } },
    );
  };
  feed({ type: 'Tick', now });
  for (const input of scenario.inputs) {
    if (isTerminal(state)) break;
    switch (input.type) {
      case 'send': {
        const payload = { signalId: input.signalId, send: report.sends.length };
        report.sends.push({ signalId: input.signalId, name: input.name, payload });
        const arrival = { signalId: input.signalId, name: input.name, payload, now };
        if (input.via === 'worker') feed({ type: 'Signal', ...arrival });
        else {
          append(receiveSignal(model, state, arrival) ?? [], [], false);
          // The worker follows the store: it drives the saga when the client's event arrives.
          if (!performing) feed({ type: 'Tick', now });
        }
        break;
      }
      case 'outcome':
        outcome(input.kind);
        break;
      case 'advance':
        now += input.ms;
        if (!performing) feed({ type: 'Tick', now });
        break;
      case 'cancel':
        feed({ type: 'CancelRequested', reason: 'cancel', now });
        break;
    }
  }
  for (let guard = 0; guard < 500 && !isTerminal(state); guard++) {
    if (performing) outcome('ok');
    else {
      now = Math.max(now, ...timers);
      feed({ type: 'Tick', now });
    }
  }
  return report;
}
