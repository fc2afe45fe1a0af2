/** What `engine.result()` resolves with: a business outcome is data, not an exception. */
import type { SagaFailure, SagaState } from '../core/sagaState.js';
import { RESERVED_STEP_PREFIX } from '../definition/childStep.js';

/** The outputs of the saga's own steps: the engine's steps (a child's verdict, the commit step) output nothing of the user's. */
function userOutputs(state: SagaState): Record<string, unknown> {
  if (state.parent === undefined && state.children === undefined) return state.outputs;
  return Object.fromEntries(Object.entries(state.outputs).filter(([name]) => !name.startsWith(RESERVED_STEP_PREFIX)));
}

/**
 * How a saga ended, discriminated by `status`: `completed` with the steps' outputs,
 * `compensated` (it failed or was cancelled, and what it did was undone), or `failed`
 * (parked: a compensation could not be completed; an operator must resume it).
 */
export type SagaResult<TOutputs = Record<string, unknown>> =
  | {
      /** Every step succeeded or was skipped. */
      status: 'completed';
      /** The saga's id. */
      sagaId: string;
      /** The outputs of the succeeded steps, by step name (a skipped optional step has none). */
      outputs: TOutputs;
    }
  | {
      /** The saga failed or was cancelled, and its compensations all succeeded. */
      status: 'compensated';
      /** The saga's id. */
      sagaId: string;
      /** Why it compensated. */
      failure: SagaFailure | null;
      /** The steps compensated, in the order they were. */
      compensated: string[];
    }
  | {
      /** Parked: it needs an operator (see `engine.resume`). */
      status: 'failed';
      /** The saga's id. */
      sagaId: string;
      /** Why it was parked. */
      failure: SagaFailure | null;
      /** Always true. */
      needsAttention: true;
    };

/** The result of a terminal state, or undefined while the saga is still going. */
export function resultOf<TOutputs>(state: SagaState): SagaResult<TOutputs> | undefined {
  switch (state.status) {
    case 'completed':
      return { status: 'completed', sagaId: state.sagaId, outputs: userOutputs(state) as TOutputs };
    case 'compensated':
      return { status: 'compensated', sagaId: state.sagaId, failure: state.failure, compensated: state.compensation?.done ?? [] };
    case 'failed':
      return { status: 'failed', sagaId: state.sagaId, failure: state.failure, needsAttention: true };
    default:
      return undefined;
  }
}
