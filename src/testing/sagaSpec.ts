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

export interface SagaSpec {
  /** The folded state of the given events. */
  state: SagaState;
  /** decide(model, state, now) */
  whenDeciding(now: number): { then(expected: SagaCommand): void; command: SagaCommand };
  /** recover(model, state, failure) */
  whenFailing(failure: Failure, ctx: RecoveryContext): { then(expected: SagaEvent[]): void; events: SagaEvent[]; state: SagaState };
}

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
