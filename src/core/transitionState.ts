/**
 * The state a transition's events fold to, kept beside the result instead of in it: the
 * result stays `{ events, effects }` (tests and users compare it whole), and a runtime that
 * asks for the state keeps it instead of folding the same events a second time — one copy of
 * the state per transition less. Not exported from the package: an internal shortcut.
 */
import type { SagaState } from './sagaState.js';
import type { Transition } from './transitionTypes.js';

const folded = new WeakMap<Transition, SagaState>();

/** Records that `result`'s events fold to `state` from the state the transition was given; returns `result`. */
export function remember(result: Transition, state: SagaState): Transition {
  folded.set(result, state);
  return result;
}

/** What `fold(result.events, given)` returns, when `transition` made `result`; else undefined. */
export function foldedState(result: Transition): SagaState | undefined {
  return folded.get(result);
}
