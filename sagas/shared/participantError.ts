/**
 * The error participants throw. Participants are plain services that know nothing of
 * sagaflow, like a real payment gateway: they say what went wrong (`code`) and whether trying
 * again can help (`kind`); each saga's `classify` maps that onto the framework's taxonomy.
 */
import type { Classifier } from '../../src/index.js';

/** How a participant failure should be recovered. */
export type ParticipantFailureKind = 'transient' | 'permanent' | 'partial';

/** A participant's failure: a stable business `code` plus its recovery `kind`. */
export class ParticipantError extends Error {
  override readonly name = 'ParticipantError';

  constructor(
    readonly code: string,
    readonly kind: ParticipantFailureKind,
    message: string,
  ) {
    super(message);
  }
}

/** True for a {@link ParticipantError}. */
export function isParticipantError(error: unknown): error is ParticipantError {
  return error instanceof ParticipantError;
}

/**
 * The saga-level classifier of the example sagas: a ParticipantError is what it says it is;
 * anything else is left to the framework's default (unknown errors are transient).
 */
export const classifyParticipantError: Classifier = (error) => (isParticipantError(error) ? error.kind : undefined);
