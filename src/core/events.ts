/**
 * The saga event union: past-tense facts, each validated with zod when written and when read.
 * `at` is the runtime clock's time in ms since the epoch (core never reads a clock itself).
 */
import { z } from 'zod';
import { CorruptedEventError } from './errors.js';

/** Bump when an event's shape changes incompatibly; readers upcast older versions. */
export const EVENT_SCHEMA_VERSION = 1;

const json: z.ZodType<unknown> = z.unknown();
/** When the event happened: the runtime clock's time, in ms since the epoch. */
const at = z.number().int().nonnegative();
/** The step's name, as declared in the definition. */
const step = z.string().min(1);
/** Attempt number, 1 for the first; numbered on across retries, takeovers and resumes. */
const attempt = z.number().int().min(1);

/** The zod schema of {@link FailureKind}. */
export const failureKindSchema = z.enum(['transient', 'permanent', 'partial']);
/**
 * How a failure is recovered: the classification decides the strategy.
 * @useDeclaredType
 */
export type FailureKind = z.infer<typeof failureKindSchema>;

/** The zod schema of {@link ErrorInfo}. */
export const errorInfoSchema = z.object({
  /** The error's class name, e.g. `TransientError`. */
  name: z.string(),
  /** A stable code: a {@link SagaError}'s string `details.code` (a business code), else its `code`; another error's own string `code`; else `'ERROR'`. */
  code: z.string(),
  /** The error's message. */
  message: z.string(),
});
/**
 * What we keep of an error: enough to audit, nothing that fails to serialize.
 * @useDeclaredType
 */
export type ErrorInfo = z.infer<typeof errorInfoSchema>;

/** The zod schema of {@link StepShape}. */
export const stepShapeSchema = z.object({
  /** The step's name, unique in its saga. */
  name: step,
  /** A permanent failure skips the step instead of compensating the saga. */
  optional: z.boolean(),
  /** A checkpoint (snapshot) is recorded once the step succeeds. */
  checkpoint: z.boolean(),
  /** The step has a compensation. */
  compensable: z.boolean(),
  /** The step is a branch of a parallel group: the group's name and how many of its branches may run at once. Absent: a sequential step. */
  parallel: z
    .object({
      /** The group's name, unique in its saga. */
      group: z.string().min(1),
      /** How many of the group's branches may have an attempt in flight at once. */
      concurrency: z.number().int().min(1),
    })
    .optional(),
});
/**
 * The shape of a step as recorded at start, so a stream can be checked without its definition.
 * @useDeclaredType
 */
export type StepShape = z.infer<typeof stepShapeSchema>;

/** The zod schema of {@link ParentLink}. */
export const parentLinkSchema = z.object({
  /** The parent saga's id. */
  sagaId: z.string().min(1),
  /** The parent's definition name. */
  saga: z.string().min(1),
  /** The parent's `.child` step that started this saga. */
  step,
  /** How long the child waits for its parent's verdict after its last step, in ms. */
  verdictTimeoutMs: z.number().positive(),
});
/**
 * The parent a child saga records in its `SagaStarted`.
 * @useDeclaredType
 */
export type ParentLink = z.infer<typeof parentLinkSchema>;

/** The zod schema of {@link ChildLink}. */
export const childLinkSchema = z.object({
  /** The parent's `.child` step. */
  step,
  /** The child's definition name. */
  saga: z.string().min(1),
  /** The child's definition version. */
  version: z.number().int().min(1),
  /** The child's saga id (its stream is `saga-<sagaId>`): the same on every attempt of the step. */
  sagaId: z.string().min(1),
});
/**
 * A child a parent records in its `SagaStarted`, one per `.child` step.
 * @useDeclaredType
 */
export type ChildLink = z.infer<typeof childLinkSchema>;

const compensationCause = z.enum(['permanent', 'partial', 'exhausted', 'cancel']);
/**
 * Why a saga compensates: a permanent step failure, a partial one, a step whose retries ran
 * out (`exhausted`), or a cancellation request.
 * @useDeclaredType
 */
export type CompensationCause = z.infer<typeof compensationCause>;
/** What a retry, lease or in-flight attempt belongs to: a step's action, or its compensation. */
const phase = z.enum(['step', 'compensation']);
/**
 * Whether an attempt runs a step's action (`step`) or its compensation (`compensation`).
 * @useDeclaredType
 */
export type Phase = z.infer<typeof phase>;

/**
 * The data schema of every event type. `durationMs` of an outcome is the attempt's own run time,
 * measured by the worker that ran it (the time its append then waited for the store is not in it).
 */
export const eventDataSchemas = {
  /** The first event of every saga stream. */
  SagaStarted: z.object({
    /** The saga's id; its stream is `saga-<sagaId>`. */
    sagaId: z.string().min(1),
    /** The definition's name. */
    saga: z.string().min(1),
    /** The definition's version: the saga runs with it to the end. */
    version: z.number().int().min(1),
    /** The input, as validated by the definition's schema. */
    input: json,
    /** The steps' shapes, in order. */
    steps: z.array(stepShapeSchema).min(1),
    /** The key `start` was given, null without one. */
    idempotencyKey: z.string().nullable(),
    /** SHA-256 of the input's canonical JSON, when started with an idempotency key (absent before 0.2). */
    inputHash: z.string().optional(),
    /** When the saga must have ended, ms since the epoch: past it a running saga is cancelled (compensates). Absent: no deadline. */
    deadlineAt: z.number().finite().optional(),
    /** Set for a saga started by a parent's `.child` step: it then waits for its parent's verdict after its last step. Absent: a standalone saga. */
    parent: parentLinkSchema.optional(),
    /** The children this saga's `.child` steps start, each with its id fixed here, before any of them exists. Absent: it has no child step. */
    children: z.array(childLinkSchema).optional(),
    at,
  }),
  /** An attempt of a step's action began (its intent, appended before it runs). */
  StepStarted: z.object({
    step,
    attempt,
    /** Id of the worker (engine) that started the attempt: `EngineOptions.workerId`. */
    worker: z.string(),
    /** Until when the attempt belongs to its worker, in ms since the epoch; then another worker may take it over. */
    leaseUntil: at,
    at,
  }),
  /** An attempt of a step's action returned. */
  StepSucceeded: z.object({
    step,
    attempt,
    /** What the action returned (validated by the step's `output` schema when it has one). */
    output: json,
    /** The attempt's own run time, in ms (absent in events written before 0.2). */
    durationMs: z.number().nonnegative().optional(),
    at,
  }),
  /** An attempt of a step's action threw; `kind` is its classification. */
  StepFailed: z.object({
    step,
    attempt,
    /** The failure's classification. */
    kind: failureKindSchema,
    /** True when no retry follows (permanent, or the retry policy is spent). */
    exhausted: z.boolean(),
    /** What was thrown. */
    error: errorInfoSchema,
    /** The attempt's own run time, in ms (absent in events written before 0.2). */
    durationMs: z.number().nonnegative().optional(),
    at,
  }),
  /** The next attempt of a step or compensation is due at `dueAt`. */
  RetryScheduled: z.object({
    phase,
    step,
    /** The attempt that will run. */
    attempt,
    /** When it may run, in ms since the epoch. */
    dueAt: at,
    at,
  }),
  /** An optional step failed permanently and was skipped (forward recovery). */
  StepSkipped: z.object({
    step,
    /** `<code>: <message>` of the failure. */
    reason: z.string(),
    at,
  }),
  /** A permanent failure rolls the saga back to its last checkpoint before compensating. */
  RolledBack: z.object({
    /** The step that failed. */
    step,
    /** The last checkpoint's step (`'#'` for a periodic one), null when there was none. */
    toCheckpoint: z.string().nullable(),
    at,
  }),
  /** The compensations to run were planned, in order. */
  CompensationPlanned: z.object({
    /** Why the saga compensates. */
    cause: compensationCause,
    /** The step whose failure caused it, null for a cancellation. */
    failedStep: z.string().nullable(),
    /** Steps to compensate, in the order they will run. */
    plan: z.array(step),
    at,
  }),
  /** An attempt of a step's compensation began. */
  CompensationStarted: z.object({
    step,
    attempt,
    /** Id of the worker (engine) that started the attempt: `EngineOptions.workerId`. */
    worker: z.string(),
    /** Until when the attempt belongs to its worker, in ms since the epoch; then another worker may take it over. */
    leaseUntil: at,
    at,
  }),
  /** An attempt of a step's compensation returned. */
  CompensationSucceeded: z.object({
    step,
    attempt,
    /** The attempt's own run time, in ms (absent in events written before 0.2). */
    durationMs: z.number().nonnegative().optional(),
    at,
  }),
  /** An attempt of a step's compensation threw. */
  CompensationFailed: z.object({
    step,
    attempt,
    /** The failure's classification. */
    kind: failureKindSchema,
    /** What was thrown. */
    error: errorInfoSchema,
    /** The attempt's own run time, in ms (absent in events written before 0.2). */
    durationMs: z.number().nonnegative().optional(),
    at,
  }),
  /** A checkpoint: the folded state so far, so that loading need not fold the whole stream. */
  CheckpointRecorded: z.object({
    /** The step whose `checkpoint: true` caused it, null for a periodic one (`checkpointEvery`). */
    step: z.string().nullable(),
    /** The {@link SagaState} at this point; null when it was too large to store in one event. */
    snapshot: json,
    at,
  }),
  /** Small on purpose: the result is the fold of the stream. (`output` was written by 0.1 and is ignored.) */
  SagaCompleted: z.object({
    /** Written by 0.1 only; ignored. */
    output: json.optional(),
    at,
  }),
  /** Every planned compensation succeeded. Terminal. */
  SagaCompensated: z.object({ at }),
  /** Parked. `code` says why when it is not the step's own error (e.g. APPEND_REFUSED). */
  SagaFailed: z.object({
    /** Why the saga was parked, for the operator. */
    reason: z.string(),
    /** The step it is stuck on, null when the cause is not one step's. */
    step: z.string().nullable(),
    /** Always true: a parked saga waits for an operator's resume. */
    needsAttention: z.literal(true),
    /** An {@link ErrorCode} when the cause is not the step's own error. */
    code: z.string().optional(),
    at,
  }),
  /** Someone asked to cancel the saga (`engine.cancel`); a running saga then compensates. */
  SagaCancelRequested: z.object({
    /** The reason given to `cancel`. */
    reason: z.string(),
    at,
  }),
  /** An operator resumed a parked saga: its stuck compensation gets a fresh retry budget. */
  SagaResumed: z.object({
    /** Who resumed it (`engine.resume`'s `by`, e.g. `'operator'` or `'cli'`). */
    by: z.string(),
    at,
  }),
  /** The worker running a long attempt renews its lease (heartbeat), so no one takes it over. */
  LeaseExtended: z.object({
    phase,
    step,
    attempt,
    /** Id of the worker (engine) that started the attempt: `EngineOptions.workerId`. */
    worker: z.string(),
    /** The new end of the lease, in ms since the epoch. */
    leaseUntil: at,
    at,
  }),
  /**
   * A declared migration moved the saga from definition version `from` to `from + 1`: from here
   * on it runs with the new version's steps. Carries the migrated input and step outputs, so a
   * replay needs no migration code. The only event that changes a saga's version.
   */
  SagaMigrated: z.object({
    /** The version the saga ran with until now. */
    from: z.number().int().min(1),
    /** The version it runs with from here: always `from + 1`. */
    to: z.number().int().min(2),
    /** The new version's steps, in order, each with the attempts it carries over (0 for a step not started). */
    steps: z
      .array(
        stepShapeSchema.extend({
          /** Attempts of the step carried over from the old version (capped by the new budget); 0 for a step not started. */
          attempts: z.number().int().nonnegative(),
        }),
      )
      .min(1),
    /** The input, as the migration upcast it (validated by the new version's schema). */
    input: json,
    /** Outputs of the new version's steps that count as done, by step name (upcast by the migration). */
    outputs: z.record(z.string(), json),
    /** The new version's steps that count as succeeded, in definition order. */
    succeeded: z.array(step),
    /** The new version's optional steps that count as skipped. */
    skipped: z.array(step),
    at,
  }),
  /** A signal from outside (`engine.signal`), kept until a waiting step consumes it; a second one with the same id changes nothing. */
  SignalReceived: z.object({
    /** The signal's id: the one given to `engine.signal`, or one it made. */
    signalId: z.string().min(1),
    /** The signal's name. */
    name: z.string().min(1),
    /** The payload, as validated by the waiting step's schema. */
    payload: json,
    at,
  }),
  /** The saga reached a waiting step: it waits for the signal until `until` (no attempt runs, no lease is held). */
  SignalAwaited: z.object({
    step,
    /** The wait's number, 1 for the first (a transient timeout waits again). */
    attempt,
    /** The name of the signal awaited. */
    signal: z.string().min(1),
    /** When the wait times out, in ms since the epoch. */
    until: at,
    at,
  }),
  /** The waiting step consumed a received signal; its StepSucceeded (the payload as output) follows. */
  SignalConsumed: z.object({
    step,
    attempt,
    /** The signal consumed. */
    signalId: z.string().min(1),
    at,
  }),
} as const;

/** The type of {@link eventDataSchemas}. */
type Schemas = typeof eventDataSchemas;
/**
 * The name of a saga event type, e.g. `'StepStarted'`.
 * @useDeclaredType
 */
export type SagaEventType = keyof Schemas;
/** One saga event: `{ type, data }`, discriminated by `type`. */
export type SagaEvent = {
  [K in SagaEventType]: {
    /** The event type: says which schema of {@link eventDataSchemas} `data` follows. */
    type: K;
    /** The event's facts. */
    data: z.infer<Schemas[K]>;
  };
}[SagaEventType];
/** The event of one type. */
export type SagaEventOf<K extends SagaEventType> = Extract<
  SagaEvent,
  {
    /** The event type. */
    type: K;
  }
>;

/** Every saga event type, in declaration order. */
export const SAGA_EVENT_TYPES = Object.keys(eventDataSchemas) as SagaEventType[];

/** Events after which a saga does nothing more on its own. */
export const TERMINAL_EVENT_TYPES: ReadonlySet<string> = new Set(['SagaCompleted', 'SagaCompensated', 'SagaFailed']);

/** Shorthand constructor with a checked shape. Pure. */
export function sagaEvent<K extends SagaEventType>(type: K, data: z.infer<Schemas[K]>): SagaEventOf<K> {
  return { type, data } as SagaEventOf<K>;
}

/** Whether `type` names a saga event type this version knows. */
export function isSagaEventType(type: string): type is SagaEventType {
  return Object.hasOwn(eventDataSchemas, type);
}

/**
 * Validates a stored event.
 *
 * @throws {@link CorruptedEventError} (`EVENT_CORRUPTED`) naming the stream and revision when
 * the type is unknown, the schema version is newer than this code, or the data is malformed.
 */
export function parseSagaEvent(
  raw: { type: string; data: unknown; metadata?: Record<string, unknown> },
  where: { streamId: string; revision: number },
): SagaEvent {
  const location = `stream ${where.streamId} at revision ${where.revision}`;
  if (!isSagaEventType(raw.type)) {
    throw new CorruptedEventError(
      `Unknown event type ${JSON.stringify(raw.type)} in ${location}. Was it written by a newer sagaflow? Upgrade, or park the saga and repair the stream.`,
      { details: { ...where, type: raw.type } },
    );
  }
  const version = raw.metadata?.['schemaVersion'];
  if (typeof version === 'number' && version > EVENT_SCHEMA_VERSION) {
    throw new CorruptedEventError(
      `Event ${raw.type} in ${location} has schema version ${version}; this sagaflow reads up to ${EVENT_SCHEMA_VERSION}. Upgrade sagaflow.`,
      { details: { ...where, type: raw.type, schemaVersion: version } },
    );
  }
  const parsed = eventDataSchemas[raw.type].safeParse(raw.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CorruptedEventError(
      `Corrupted ${raw.type} event in ${location}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid data'}. The saga is parked; repair or archive the stream.`,
      { details: { ...where, type: raw.type }, cause: parsed.error },
    );
  }
  return { type: raw.type, data: parsed.data } as SagaEvent;
}
