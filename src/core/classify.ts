/**
 * Error classification at the effect boundary: step `classify`, then saga `classify`, then
 * this default. Pure.
 */
import { ErrorCode, isSagaError } from './errors.js';
import type { ErrorInfo, FailureKind } from './events.js';

/** A user classifier: return a kind, or undefined to defer to the next one. */
export type Classifier = (error: unknown) => FailureKind | undefined;

/** The framework's default: the error class decides; unknown errors are transient (budget-bounded). */
export function defaultClassify(error: unknown): FailureKind {
  if (!isSagaError(error)) return 'transient';
  switch (error.code) {
    case ErrorCode.Permanent:
    case ErrorCode.OutputInvalid:
    case ErrorCode.InputInvalid:
    // An output too large for an event will be as large on the next attempt.
    case ErrorCode.PayloadTooLarge:
    // A signal that did not come in time: compensate, unless a classifier says to wait again.
    case ErrorCode.SignalTimeout:
    // A child that compensated itself (or is parked) will not finish its steps on a retry.
    case ErrorCode.ChildSagaFailed:
      return 'permanent';
    case ErrorCode.PartialFailure:
      return 'partial';
    default:
      return 'transient';
  }
}

/** Runs the classifiers in order; the first answer wins. A classifier that throws is ignored. */
export function classify(error: unknown, ...classifiers: (Classifier | undefined)[]): FailureKind {
  for (const c of classifiers) {
    if (!c) continue;
    try {
      const kind = c(error);
      if (kind) return kind;
    } catch {
      // A broken classifier must not lose the failure; fall through to the next one.
    }
  }
  return defaultClassify(error);
}

/** What an event keeps of an error. */
export function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof Error) {
    // A business code given as `details.code` (new PermanentError('…', { details: { code: 'PAYMENT_DECLINED' } }))
    // is more useful to an auditor than the class's code, which `kind` already records.
    const business = isSagaError(error) ? error.details['code'] : undefined;
    const code =
      typeof business === 'string'
        ? business
        : isSagaError(error)
          ? error.code
          : typeof (error as { code?: unknown }).code === 'string'
            ? String((error as { code?: unknown }).code)
            : 'ERROR';
    return { name: error.name, code, message: error.message };
  }
  return { name: 'NonError', code: 'ERROR', message: String(error) };
}
