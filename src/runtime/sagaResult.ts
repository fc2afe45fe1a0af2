/** What `engine.result()` resolves with: a business outcome is data, not an exception. */
import type { SagaFailure, SagaState } from '../core/sagaState.js';

export type SagaResult<TOutputs = Record<string, unknown>> =
  | { status: 'completed'; sagaId: string; outputs: TOutputs }
  | { status: 'compensated'; sagaId: string; failure: SagaFailure | null; compensated: string[] }
  | { status: 'failed'; sagaId: string; failure: SagaFailure | null; needsAttention: true };

/** The result of a terminal state, or undefined while the saga is still going. */
export function resultOf<TOutputs>(state: SagaState): SagaResult<TOutputs> | undefined {
  switch (state.status) {
    case 'completed':
      return { status: 'completed', sagaId: state.sagaId, outputs: state.outputs as TOutputs };
    case 'compensated':
      return { status: 'compensated', sagaId: state.sagaId, failure: state.failure, compensated: state.compensation?.done ?? [] };
    case 'failed':
      return { status: 'failed', sagaId: state.sagaId, failure: state.failure, needsAttention: true };
    default:
      return undefined;
  }
}
