/**
 * The error model: one branded base class with a stable `code`, and one subclass per
 * kind of failure. The classification of a step failure *is* its class.
 *
 * Pure: these classes perform no I/O. They live in `core` because `recover()` and
 * `classify()` reason about them.
 */

const brand = Symbol.for('sagaflow.error');

/** Stable error codes. Never rename one: users match on them. */
export const ErrorCode = {
  /** {@link TransientError}: a step failure that may go away (retried). */
  Transient: 'TRANSIENT',
  /** {@link PermanentError}: a step failure that will not go away (no retry). */
  Permanent: 'PERMANENT',
  /** {@link PartialFailure}: a step applied part of its effect. */
  PartialFailure: 'PARTIAL_FAILURE',
  /** {@link StepTimeoutError}: an attempt ran past its `timeoutMs`. */
  StepTimeout: 'STEP_TIMEOUT',
  /** {@link StreamVersionConflictError}: an append found the stream at another revision. */
  StreamVersionConflict: 'STREAM_VERSION_CONFLICT',
  /** {@link DefinitionError}: a malformed saga definition. */
  DefinitionInvalid: 'DEFINITION_INVALID',
  /** {@link InputValidationError}: saga input failed its schema. */
  InputInvalid: 'INPUT_INVALID',
  /** {@link OutputValidationError}: a step output failed its schema. */
  OutputInvalid: 'OUTPUT_INVALID',
  /** {@link CorruptedEventError}: a stored event is unknown or malformed. */
  EventCorrupted: 'EVENT_CORRUPTED',
  /** {@link PayloadTooLargeError}: an event larger than the store accepts. */
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  /** {@link StreamNameError}: a stream name breaks the naming rule. */
  StreamNameInvalid: 'STREAM_NAME_INVALID',
  /** {@link StoreUnavailableError}: the store cannot be reached. */
  StoreUnavailable: 'STORE_UNAVAILABLE',
  /** {@link StoreClosedError}: a call on a closed store. */
  StoreClosed: 'STORE_CLOSED',
  /** {@link StoreUrlError}: an unknown or malformed store URL. */
  StoreUrlInvalid: 'STORE_URL_INVALID',
  /** {@link StoreNotFoundError}: a store opened read-only does not exist (a mistyped path?). */
  StoreNotFound: 'STORE_NOT_FOUND',
  /** {@link SagaNotFoundError}: no saga with this id. */
  SagaNotFound: 'SAGA_NOT_FOUND',
  /** {@link UnknownSagaError}: a saga definition the engine has not registered. */
  SagaUnknown: 'SAGA_UNKNOWN',
  /** {@link SagaParkedError}: `outputs()` of a parked saga. */
  SagaParked: 'SAGA_PARKED',
  /** {@link SagaCompensatedError}: `outputs()` of a compensated saga. */
  SagaCompensated: 'SAGA_COMPENSATED',
  /** {@link SagaCancelledError}: the saga was cancelled while this step ran; its signal fired with this reason. */
  SagaCancelled: 'SAGA_CANCELLED',
  /** {@link EngineClosedError}: a call on a closed engine. */
  EngineClosed: 'ENGINE_CLOSED',
  /** {@link AppendRefusedError}: the store refuses every append of a saga. */
  AppendRefused: 'APPEND_REFUSED',
  /** {@link IdempotencyKeyReusedError}: an idempotency key reused with another input. */
  IdempotencyKeyReused: 'IDEMPOTENCY_KEY_REUSED',
  /** {@link IdempotencyKeyInvalidError}: an empty or too long idempotency key. */
  IdempotencyKeyInvalid: 'IDEMPOTENCY_KEY_INVALID',
  /** {@link DriverNotInstalledError}: a store's optional driver is not installed. */
  DriverNotInstalled: 'DRIVER_NOT_INSTALLED',
  /** {@link UnexpectedInputError}: `transition` got an outcome of an attempt that is not in flight, or not this worker's. */
  UnexpectedInput: 'UNEXPECTED_INPUT',
  /** {@link PayloadTamperedError}: an encoded payload fails its integrity check (altered, truncated, or not the codec's). */
  PayloadTampered: 'PAYLOAD_TAMPERED',
  /** {@link PayloadKeyUnknownError}: an encoded payload names a key the codec does not hold (rotated out, or deleted to erase it). */
  PayloadKeyUnknown: 'PAYLOAD_KEY_UNKNOWN',
  /** {@link PayloadKeyInvalidError}: a codec key that is not 32 bytes, or a current key id with no key. */
  PayloadKeyInvalid: 'PAYLOAD_KEY_INVALID',
  /** {@link DefinitionVersionNotRegisteredError}: a stream's definition version is not registered and no migration leads from it. */
  DefinitionVersionNotRegistered: 'DEFINITION_VERSION_NOT_REGISTERED',
  /** {@link MigrationFailedError}: a declared migration threw, or its result does not fit the new version. */
  MigrationFailed: 'MIGRATION_FAILED',
  /** {@link MigrationNotApplicableError}: `engine.migrate` cannot move the saga now (no path, not running, attempt held). */
  MigrationNotApplicable: 'MIGRATION_NOT_APPLICABLE',
  /** {@link SignalTimeoutError}: a step waited for a signal past its `timeoutMs` (classified permanent unless a classifier says otherwise). */
  SignalTimeout: 'SIGNAL_TIMEOUT',
  /** {@link SignalPayloadInvalidError}: a signal's payload failed the waiting step's schema; nothing was appended. */
  SignalPayloadInvalid: 'SIGNAL_PAYLOAD_INVALID',
  /** {@link SignalNotAwaitedError}: no step of the saga waits (or will wait) for a signal of this name; nothing was appended. */
  SignalNotAwaited: 'SIGNAL_NOT_AWAITED',
  /** {@link SagaFinishedError}: the saga has ended (completed, compensated or parked); nothing was appended. */
  SagaFinished: 'SAGA_FINISHED',
  /** {@link ChildSagaFailedError}: the child saga of a `.child` step failed (compensated itself); the parent's step fails permanently. */
  ChildSagaFailed: 'CHILD_SAGA_FAILED',
} as const;

/** The business code (`details.code`) of the failure that makes a child compensate: its parent's verdict was `compensate`. */
export const PARENT_COMPENSATED = 'PARENT_COMPENSATED';
/** One of the {@link ErrorCode} values: the `code` of a {@link SagaError}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The options argument of every error's constructor. */
export interface SagaErrorOptions {
  /** The underlying error, kept as the standard `cause`. */
  cause?: unknown;
  /** Free-form facts for logs and operators (stream, revision, field, ...). */
  details?: Record<string, unknown>;
}

/** Base of every error sagaflow throws. Check with {@link isSagaError}, which works across package copies. */
export class SagaError extends Error {
  /** The stable code: match on it (or on the class). */
  readonly code: ErrorCode;
  /** Free-form facts for logs and operators (stream, revision, field, ...); `{}` when none were given. */
  readonly details: Record<string, unknown>;
  /** @internal */
  readonly [brand] = true;

  /** For a subclass: `code` is its {@link ErrorCode}; `name` becomes the subclass's name. */
  constructor(code: ErrorCode, message: string, options: SagaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    this.name = new.target.name;
  }
}

/** True for any sagaflow error, even one thrown by another copy of the package. */
export function isSagaError(error: unknown): error is SagaError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[brand] === true;
}

/** Throw from a step for a failure that may go away: the step is retried by its policy. */
export class TransientError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.Transient, message, options);
  }
}

/** Throw from a step for a failure that will not go away (validation, business rule): no retry. */
export class PermanentError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.Permanent, message, options);
  }
}

/**
 * Throw from a step that applied part of its effect: the step's own compensation runs too,
 * then the compensations of every completed step in reverse order.
 */
export class PartialFailure extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.PartialFailure, message, options);
  }
}

/** A step or compensation ran past its `timeoutMs`. Classified transient. */
export class StepTimeoutError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.StepTimeout, message, options);
  }
}

/** An append stated an expected revision the stream no longer has: reload, fold, decide again. */
export class StreamVersionConflictError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.StreamVersionConflict, message, options);
  }
}

/** A saga definition is malformed. Thrown at definition/registration time, naming the field. */
export class DefinitionError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.DefinitionInvalid, message, options);
  }
}

/** Saga input failed the definition's input schema. Nothing was appended. */
export class InputValidationError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.InputInvalid, message, options);
  }
}

/** A step returned an output that failed its schema. Classified permanent: retrying returns the same. */
export class OutputValidationError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.OutputInvalid, message, options);
  }
}

/** A stored event is unknown or does not match its schema. Names the stream and revision. */
export class CorruptedEventError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.EventCorrupted, message, options);
  }
}

/** An event is larger than the store accepts. Nothing was appended. */
export class PayloadTooLargeError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.PayloadTooLarge, message, options);
  }
}

/** A stream name breaks the naming rule. Nothing was appended. */
export class StreamNameError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.StreamNameInvalid, message, options);
  }
}

/** The store cannot be reached (or went away). Transient for the runtime: it backs off and retries. */
export class StoreUnavailableError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.StoreUnavailable, message, options);
  }
}

/** The store was closed by its owner; calls after `close()` fail with this. */
export class StoreClosedError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.StoreClosed, message, options);
  }
}

/** A store URL has an unknown scheme or is malformed. */
export class StoreUrlError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.StoreUrlInvalid, message, options);
  }
}

/**
 * A store opened read-only (the CLI's inspection commands) does not exist: no such SQLite file,
 * or a file that holds no sagaflow store. Nothing was created. Check the path. `details`: path.
 */
export class StoreNotFoundError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.StoreNotFound, message, options);
  }
}

/** No saga with this id exists in the store. */
export class SagaNotFoundError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.SagaNotFound, message, options);
  }
}

/** A stream names a saga definition (name@version) this engine has not registered. */
export class UnknownSagaError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.SagaUnknown, message, options);
  }
}

/**
 * `engine.outputs()` of a saga that was parked (failed, needs attention): fix the cause, then
 * `engine.resume(sagaId)`. `details`: sagaId, failure.
 */
export class SagaParkedError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.SagaParked, message, options);
  }
}

/**
 * `engine.outputs()` of a saga that did not complete but was compensated (rolled back) after a
 * failure or a cancellation. `details`: sagaId, failure, compensated (the steps undone).
 */
export class SagaCompensatedError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.SagaCompensated, message, options);
  }
}

/**
 * The reason a running step's `ctx.signal` fires with when its saga is cancelled
 * (`engine.cancel`, from any process). A step that stops on it leaves its effect in doubt, so
 * the attempt is recorded as a partial failure and the step is compensated with the others.
 * `details`: sagaId, reason.
 */
export class SagaCancelledError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.SagaCancelled, message, options);
  }
}

/** A call on an engine after `close()`. */
export class EngineClosedError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.EngineClosed, message, options);
  }
}

/**
 * The store refused a saga's append for good (too large, invalid, a bug), and even the park
 * that records why could not be appended. The saga stays as its stream says; this engine stops
 * driving it. `details`: sagaId, and the store's error as `cause`.
 */
export class AppendRefusedError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.AppendRefused, message, options);
  }
}

/**
 * `start` was given an idempotency key that already started a saga with a different input.
 * Nothing was started or changed. Use a new key for a new request, or send the same input.
 * `details`: sagaId, saga, idempotencyKey.
 */
export class IdempotencyKeyReusedError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.IdempotencyKeyReused, message, options);
  }
}

/** An idempotency key that is empty or longer than 255 characters. Nothing was started. */
export class IdempotencyKeyInvalidError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.IdempotencyKeyInvalid, message, options);
  }
}

/**
 * A store's database driver is an optional peer dependency that is not installed (or cannot be
 * loaded). `details.package` names what to install: `npm install <package>`.
 */
export class DriverNotInstalledError extends SagaError {
  /** The npm package to install. */
  readonly packageName: string;
  /** `packageName`: the npm package to install; `store`: the store's name for the message (e.g. 'PostgreSQL'). */
  constructor(packageName: string, store: string, options: SagaErrorOptions = {}) {
    super(
      ErrorCode.DriverNotInstalled,
      `The ${store} store needs the optional package '${packageName}', which is not installed here. Install it next to sagaflow: npm install ${packageName}`,
      { ...options, details: { package: packageName, store, ...options.details } },
    );
    this.packageName = packageName;
  }
}

/**
 * `transition` was given an input that makes no sense in the saga's state: the outcome of an
 * attempt that is not in flight (never started, already recorded, or taken over by another
 * worker). Nothing is to be appended for it; a runtime treats it as being fenced off and drops
 * the outcome. `details`: reason ('not-in-flight' | 'not-ours'), phase, step, attempt.
 */
export class UnexpectedInputError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.UnexpectedInput, message, options);
  }
}

/**
 * An encoded payload fails its integrity check: its ciphertext, tag or key id was altered, it
 * was truncated, or it was not written by this codec. Nothing is decoded; find out who wrote the
 * event (the store's access log) before trusting the stream. `details`: keyId, reason.
 */
export class PayloadTamperedError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.PayloadTampered, message, options);
  }
}

/**
 * What a step declared with `.waitFor` fails with when its signal does not come within its
 * `timeoutMs`. Classified once, at definition time: the step's `classify`, then the saga's,
 * else permanent (the saga compensates); `transient` waits again within the step's retry budget.
 */
export class SignalTimeoutError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.SignalTimeout, message, options);
  }
}

/** `engine.signal` was given a payload the waiting step's schema refuses: nothing was appended. `details`: sagaId, signal, step, issues. */
export class SignalPayloadInvalidError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.SignalPayloadInvalid, message, options);
  }
}

/**
 * A saga's stream was started with a definition version this engine does not register, and no
 * declared migration leads from it to a registered one. The engine parks the saga (SagaFailed
 * with this code) instead of guessing; register the version (or declare a migration), then
 * `engine.resume(sagaId)`. `details`: saga, version, registered (the versions this engine has).
 */
export class DefinitionVersionNotRegisteredError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.DefinitionVersionNotRegistered, message, options);
  }
}

/**
 * An encoded payload names a key the codec does not hold: give the codec that key (an old key
 * after a rotation stays in its key ring for as long as events encoded with it are read), or,
 * if the key was deleted on purpose (crypto-shredding), the payload is erased for good.
 * `details`: keyId.
 */
export class PayloadKeyUnknownError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.PayloadKeyUnknown, message, options);
  }
}

/** A codec was configured with a key that is not 32 bytes, or with a current key id it holds no key for. `details`: keyId. */
export class PayloadKeyInvalidError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.PayloadKeyInvalid, message, options);
  }
}

/**
 * A declared migration could not move a saga forward: its `migrate` threw, or what it returned
 * does not fit the new version (an output of a step it does not have, a gap before a done step,
 * an input or output its schema rejects). The saga is parked with this code; fix the migration,
 * deploy it, then `engine.resume(sagaId)`. `details`: saga, from, to, sagaId.
 */
export class MigrationFailedError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.MigrationFailed, message, options);
  }
}

/**
 * `engine.migrate(sagaId)` cannot move the saga now: no migration is declared from its
 * version, it is not running (a compensating or finished saga ends on its own version), or an
 * attempt is held by a live worker (try again after `details.until`). Nothing was appended.
 * `details`: sagaId, saga, version, reason ('no-path' | 'status' | 'lease'), until.
 */
export class MigrationNotApplicableError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.MigrationNotApplicable, message, options);
  }
}

/**
 * `engine.signal` was given a signal that no step of the saga waits for, or will wait for:
 * the definition has no `.waitFor` step of that name, each one already got its signal, or the
 * saga is compensating (cancelled, or a step failed). Nothing was appended. `details`: sagaId, signal, status.
 */
export class SignalNotAwaitedError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.SignalNotAwaited, message, options);
  }
}

/** The saga has ended (completed, compensated, or parked): a signal to it is refused, nothing is appended. `details`: sagaId, status. */
export class SagaFinishedError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.SagaFinished, message, options);
  }
}

/**
 * The child saga of a `.child` step did not finish its steps: it failed and compensated itself.
 * The parent's step fails permanently (classified so by default). `details`: `childSagaId`,
 * `childSaga`, `status` (`compensated`), `failure` (the child's). (A parked child is a
 * PartialFailure, code `CHILD_SAGA_PARKED`: its effects are not all undone yet.)
 */
export class ChildSagaFailedError extends SagaError {
  constructor(message: string, options?: SagaErrorOptions) {
    super(ErrorCode.ChildSagaFailed, message, options);
  }
}
