/**
 * given(model, events).when(input).then({ events, effects }) over the pure core, in the manner
 * of Emmett's decider specification: no store, no clock, no mocks needed, because nothing in
 * core does I/O. Assertions use node:assert, so any test runner reports them.
 *
 * `whenDeciding` and `whenFailing` test the two parts of `transition` (decide and recover) on
 * their own; new tests use `when`.
 */
import { deepStrictEqual, fail, ok } from 'node:assert';
import type { SagaCommand } from '../core/decide.js';
import { decide } from '../core/decide.js';
import { isSagaError } from '../core/errors.js';
import type { SagaEvent } from '../core/events.js';
import { fold } from '../core/evolve.js';
import type { Failure, RecoveryContext } from '../core/recover.js';
import { recover } from '../core/recover.js';
import type { SagaModel } from '../core/sagaModel.js';
import type { SagaState } from '../core/sagaState.js';
import type { Effect, Transition, TransitionContext, TransitionInput } from '../core/transition.js';
import { transition } from '../core/transition.js';

/** The context `when` uses unless given one: worker w1, 1 s leases, jitter draw 0. */
export const DEFAULT_SPEC_CONTEXT: TransitionContext = Object.freeze({ workerId: 'w1', leaseMs: 1_000, random: 0 });

/** The `when(input)` part of a specification: assert with one of its `then…`. */
export interface TransitionSpec {
  /** Both are compared; an omitted one is expected to be empty. */
  then(expected: { events?: SagaEvent[]; effects?: Effect[] }): Transition;
  /** The input records nothing and asks for nothing. */
  thenNothing(): void;
  /** The input is rejected: with an error of this class, or a SagaError with this `code`. */
  thenThrows(expected: string | (new (...args: never[]) => Error)): Error;
  /** Runs the transition (throws what it throws). */
  result(): Transition;
  /** The state after the transition's events. */
  state(): SagaState;
}

/** A specification over the state folded from some events: see {@link given}. */
export interface SagaSpec {
  /** The folded state of the given events. */
  state: SagaState;
  /** transition(model, state, input, ctx); nothing runs until a `then…`. */
  when(input: TransitionInput, ctx?: Partial<TransitionContext>): TransitionSpec;
  /** decide(model, state, now) */
  whenDeciding(now: number): {
    /** Asserts (`deepStrictEqual`) that the command is `expected`. */
    then(expected: SagaCommand): void;
    /** The command decided. */
    command: SagaCommand;
  };
  /** recover(model, state, failure) */
  whenFailing(
    failure: Failure,
    ctx: RecoveryContext,
  ): {
    /** Asserts (`deepStrictEqual`) that the recovery events are `expected`. */
    then(expected: SagaEvent[]): void;
    /** The recovery events. */
    events: SagaEvent[];
    /** The state with those events folded in. */
    state: SagaState;
  };
}

function transitionSpec(model: SagaModel, state: SagaState, input: TransitionInput, ctx: TransitionContext): TransitionSpec {
  const result = (): Transition => transition(model, state, input, ctx);
  return {
    result,
    state: () => fold(result().events, state) as SagaState,
    // biome-ignore lint/suspicious/noThenProperty: given/when/then is the specification's vocabulary; a spec is never awaited.
    then(expected) {
      const actual = result();
      deepStrictEqual(actual, { events: expected.events ?? [], effects: expected.effects ?? [] });
      return actual;
    },
    thenNothing() {
      deepStrictEqual(result(), { events: [], effects: [] });
    },
    thenThrows(expected) {
      let answer: Transition;
      try {
        answer = result();
      } catch (error) {
        ok(error instanceof Error, `expected an Error, got ${String(error)}`);
        if (typeof expected === 'string')
          ok(isSagaError(error) && error.code === expected, `expected code ${expected}, got ${isSagaError(error) ? error.code : error.name}: ${error.message}`);
        else ok(error instanceof expected, `expected ${expected.name}, got ${error.name}: ${error.message}`);
        return error;
      }
      return fail(`expected the transition to throw; it answered ${JSON.stringify(answer)}`);
    },
  };
}

/**
 * Starts a given/when/then specification of the pure core: `given(model, events)` folds the
 * events, then `.when(input).then({ events, effects })` (or `.thenNothing()`, `.thenThrows(code)`) over
 * `transition`; `.whenDeciding(now)` and `.whenFailing(failure, ctx)` remain for decide and recover.
 *
 * @throws `Error` when `events` do not begin with `SagaStarted`.
 */
export function given(model: SagaModel, events: SagaEvent[]): SagaSpec {
  const state = fold(events);
  if (!state) throw new Error('given(): the events must begin with SagaStarted');
  return {
    state,
    when(input, ctx) {
      return transitionSpec(model, state, input, { ...DEFAULT_SPEC_CONTEXT, ...ctx });
    },
    whenDeciding(now) {
      const command = decide(model, state, now);
      // biome-ignore lint/suspicious/noThenProperty: given/when/then, never awaited.
      return { command, then: (expected) => deepStrictEqual(command, expected) };
    },
    whenFailing(failure, ctx) {
      const events = recover(model, state, failure, ctx);
      // biome-ignore lint/suspicious/noThenProperty: given/when/then, never awaited.
      return { events, state: fold(events, state) as SagaState, then: (expected) => deepStrictEqual(events, expected) };
    },
  };
}
