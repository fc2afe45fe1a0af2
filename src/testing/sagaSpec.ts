/**
 * given(events).when(...).then(...) over the pure core: no store, no clock, no mocks needed,
 * because nothing in core does I/O. Assertions use node:assert, so any test runner reports them.
 */
import { deepStrictEqual } from 'node:assert';
import type { SagaCommand } from '../core/decide.js';
import { decide } from '../core/decide.js';
import type { SagaEvent } from '../core/events.js';
import { fold } from '../core/evolve.js';
import type { Failure, RecoveryContext } from '../core/recover.js';
import { recover } from '../core/recover.js';
import type { SagaModel } from '../core/sagaModel.js';
import type { SagaState } from '../core/sagaState.js';

/** A specification over the state folded from some events: see {@link given}. */
export interface SagaSpec {
  /** The folded state of the given events. */
  state: SagaState;
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

/**
 * Starts a given/when/then specification of the pure core: `given(model, events)` folds the
 * events, then `.whenDeciding(now).then(command)` or `.whenFailing(failure, ctx).then(events)`.
 *
 * @throws `Error` when `events` do not begin with `SagaStarted`.
 */
export function given(model: SagaModel, events: SagaEvent[]): SagaSpec {
  const state = fold(events);
  if (!state) throw new Error('given(): the events must begin with SagaStarted');
  return {
    state,
    whenDeciding(now) {
      const command = decide(model, state, now);
      return { command, then: (expected) => deepStrictEqual(command, expected) };
    },
    whenFailing(failure, ctx) {
      const events = recover(model, state, failure, ctx);
      return { events, state: fold(events, state) as SagaState, then: (expected) => deepStrictEqual(events, expected) };
    },
  };
}
