/**
 * The state a transition's events fold to, kept beside the result instead of in it: the
 * result stays `{ events, effects }` (tests and users compare it whole), and a runtime that
 * asks for the state right after the call keeps it instead of folding the same events a
 * second time — one copy of the state per transition less. One slot, not a WeakMap: a
 * WeakMap entry per transition cost more than half of what it saved. Not exported from the
 * package: an internal shortcut.
 */
import type { SagaState } from './sagaState.js';
import type { Transition } from './transitionTypes.js';

let lastResult: Transition | undefined;
let lastState: SagaState | undefined;

/** Records that `result`'s events fold to `state` from the state the transition was given; returns `result`. */
export function remember(result: Transition, state: SagaState): Transition {
  lastResult = result;
  lastState = state;
  return result;
}

/**
 * What `fold(result.events, given)` returns, when `result` is the latest result of
 * `transition` (ask before calling it again); else undefined, and the caller folds.
 */
export function foldedState(result: Transition): SagaState | undefined {
  return result === lastResult ? lastState : undefined;
}
