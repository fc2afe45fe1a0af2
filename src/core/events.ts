/**
 * The saga event union: past-tense facts, each validated with zod when written and when read.
 * `at` is the runtime clock's time in ms since the epoch (core never reads a clock itself).
 */
import { z } from 'zod';
import { CorruptedEventError } from './errors.js';

/** Bump when an event's shape changes incompatibly; readers upcast older versions. */
export const EVENT_SCHEMA_VERSION = 1;

const json: z.ZodType<unknown> = z.unknown();
const at = z.number().int().nonnegative();
const step = z.string().min(1);
const attempt = z.number().int().min(1);

export const failureKindSchema = z.enum(['transient', 'permanent', 'partial']);
/** How a failure is recovered: the classification decides the strategy. */
export type FailureKind = z.infer<typeof failureKindSchema>;

export const errorInfoSchema = z.object({ name: z.string(), code: z.string(), message: z.string() });
/** What we keep of an error: enough to audit, nothing that fails to serialize. */
export type ErrorInfo = z.infer<typeof errorInfoSchema>;

export const stepShapeSchema = z.object({
  name: step,
  optional: z.boolean(),
  checkpoint: z.boolean(),
  compensable: z.boolean(),
});
/** The shape of a step as recorded at start, so a stream can be checked without its definition. */
export type StepShape = z.infer<typeof stepShapeSchema>;

const compensationCause = z.enum(['permanent', 'partial', 'exhausted', 'cancel']);
export type CompensationCause = z.infer<typeof compensationCause>;
const phase = z.enum(['step', 'compensation']);
export type Phase = z.infer<typeof phase>;

/**
 * The data schema of every event type. `durationMs` of an outcome is the attempt's own run time,
 * measured by the worker that ran it (the time its append then waited for the store is not in it).
 */
export const eventDataSchemas = {
  SagaStarted: z.object({
    sagaId: z.string().min(1),
    saga: z.string().min(1),
    version: z.number().int().min(1),
    input: json,
    steps: z.array(stepShapeSchema).min(1),
    idempotencyKey: z.string().nullable(),
    /** SHA-256 of the input's canonical JSON, when started with an idempotency key (absent before 0.2). */
    inputHash: z.string().optional(),
    at,
  }),
  StepStarted: z.object({ step, attempt, worker: z.string(), leaseUntil: at, at }),
  StepSucceeded: z.object({ step, attempt, output: json, durationMs: z.number().nonnegative().optional(), at }),
  StepFailed: z.object({ step, attempt, kind: failureKindSchema, exhausted: z.boolean(), error: errorInfoSchema, durationMs: z.number().nonnegative().optional(), at }),
  RetryScheduled: z.object({ phase, step, attempt, dueAt: at, at }),
  StepSkipped: z.object({ step, reason: z.string(), at }),
  RolledBack: z.object({ step, toCheckpoint: z.string().nullable(), at }),
  CompensationPlanned: z.object({ cause: compensationCause, failedStep: z.string().nullable(), plan: z.array(step), at }),
  CompensationStarted: z.object({ step, attempt, worker: z.string(), leaseUntil: at, at }),
  CompensationSucceeded: z.object({ step, attempt, durationMs: z.number().nonnegative().optional(), at }),
  CompensationFailed: z.object({ step, attempt, kind: failureKindSchema, error: errorInfoSchema, durationMs: z.number().nonnegative().optional(), at }),
  CheckpointRecorded: z.object({ step: z.string().nullable(), snapshot: json, at }),
  /** Small on purpose: the result is the fold of the stream. (`output` was written by 0.1 and is ignored.) */
  SagaCompleted: z.object({ output: json.optional(), at }),
  SagaCompensated: z.object({ at }),
  /** Parked. `code` says why when it is not the step's own error (e.g. APPEND_REFUSED). */
  SagaFailed: z.object({ reason: z.string(), step: z.string().nullable(), needsAttention: z.literal(true), code: z.string().optional(), at }),
  SagaCancelRequested: z.object({ reason: z.string(), at }),
  SagaResumed: z.object({ by: z.string(), at }),
  /** The worker running a long attempt renews its lease (heartbeat), so no one takes it over. */
  LeaseExtended: z.object({ phase, step, attempt, worker: z.string(), leaseUntil: at, at }),
} as const;

type Schemas = typeof eventDataSchemas;
export type SagaEventType = keyof Schemas;
/** One saga event: `{ type, data }`, discriminated by `type`. */
export type SagaEvent = { [K in SagaEventType]: { type: K; data: z.infer<Schemas[K]> } }[SagaEventType];
/** The event of one type. */
export type SagaEventOf<K extends SagaEventType> = Extract<SagaEvent, { type: K }>;

export const SAGA_EVENT_TYPES = Object.keys(eventDataSchemas) as SagaEventType[];

/** Events after which a saga does nothing more on its own. */
export const TERMINAL_EVENT_TYPES: ReadonlySet<string> = new Set(['SagaCompleted', 'SagaCompensated', 'SagaFailed']);

/** Shorthand constructor with a checked shape. Pure. */
export function sagaEvent<K extends SagaEventType>(type: K, data: z.infer<Schemas[K]>): SagaEventOf<K> {
  return { type, data } as SagaEventOf<K>;
}

export function isSagaEventType(type: string): type is SagaEventType {
  return Object.prototype.hasOwnProperty.call(eventDataSchemas, type);
}

/**
 * Validates a stored event. Throws CorruptedEventError naming the stream and revision when
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
