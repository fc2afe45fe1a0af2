/**
 * The one rule core knows of child sagas (definition/childStep.ts, docs/children.md): past the
 * point where a saga's fate belongs to its verdict — a child waiting for its parent's verdict,
 * or a parent committing its children — a cancel (or a deadline) comes too late and changes
 * nothing. Otherwise a parent cancelled while committing would compensate children already
 * committed, and a child cancelled while it waits would undo what its parent keeps. Pure.
 */
import type { SagaState } from './sagaState.js';

/** The implicit step of a child saga that waits for its parent's verdict. */
export const VERDICT_STEP = 'sagaflow.parent-verdict';
/** The implicit last step of a saga with child steps: it commits every child it kept. */
export const COMMIT_CHILDREN_STEP = 'sagaflow.commit-children';

/**
 * Whether a cancel is too late: the saga's verdict step or commit step has begun (a stream
 * without them, every stream from before child sagas, is never past it). Pure.
 */
export function pastCancelPoint(state: Pick<SagaState, 'steps'>): boolean {
  for (const step of state.steps) {
    if ((step.name === VERDICT_STEP || step.name === COMMIT_CHILDREN_STEP) && step.status !== 'pending') return true;
  }
  return false;
}
