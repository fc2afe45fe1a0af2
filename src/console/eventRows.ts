/**
 * One row per stored event for the console's timeline table: what happened, to which step and
 * attempt, and what matters about it. Pure; unknown or malformed events keep their raw data.
 */
import { eventDataSchemas, isSagaEventType } from '../core/events.js';
import type { SagaEvent } from '../core/events.js';
import type { Json, RecordedEvent } from '../stores/eventStore.js';

/** A timeline row as the console's page renders it. */
export interface EventRow {
  /** The event's revision in its stream. */
  revision: number;
  /** The event type. */
  type: string;
  /** The event's own time (`at`), ms since the epoch; null when it has none. */
  at: number | null;
  /** When the store recorded it, ISO-8601. */
  recordedAt: string;
  /** The step it concerns, '' when none. */
  step: string;
  /** The attempt it concerns, null when none. */
  attempt: number | null;
  /** The worker that appended it, '' when unknown. */
  worker: string;
  /** What matters about it, in words. */
  details: string;
  /** The event's data as stored. */
  data: Json;
}

function parse(recorded: RecordedEvent): SagaEvent | undefined {
  if (!isSagaEventType(recorded.type)) return undefined;
  const parsed = eventDataSchemas[recorded.type].safeParse(recorded.data);
  return parsed.success ? ({ type: recorded.type, data: parsed.data } as SagaEvent) : undefined;
}

function ms(value: number): string {
  return value < 1_000 ? `${Math.round(value)} ms` : `${(value / 1_000).toFixed(2)} s`;
}

function took(durationMs: number | undefined): string {
  return durationMs === undefined ? '' : `took ${ms(durationMs)}`;
}

function describe(e: SagaEvent): Pick<EventRow, 'step' | 'attempt' | 'details'> {
  switch (e.type) {
    case 'SagaStarted':
      return {
        step: '',
        attempt: null,
        details: `${e.data.saga} v${e.data.version}: ${e.data.steps.map((s) => `${s.name}${s.optional ? '?' : ''}`).join(' → ')}`,
      };
    case 'StepStarted':
    case 'CompensationStarted':
      return { step: e.data.step, attempt: e.data.attempt, details: e.type === 'StepStarted' ? 'attempt started' : 'compensation attempt started' };
    case 'StepSucceeded':
    case 'CompensationSucceeded':
      return { step: e.data.step, attempt: e.data.attempt, details: took(e.data.durationMs) || 'succeeded' };
    case 'StepFailed':
    case 'CompensationFailed': {
      const exhausted = e.type === 'StepFailed' && e.data.exhausted ? ', retries exhausted' : '';
      const time = took(e.data.durationMs);
      return {
        step: e.data.step,
        attempt: e.data.attempt,
        details: `${time ? `${time}; ` : ''}${e.data.kind}${exhausted}: ${e.data.error.code}: ${e.data.error.message}`,
      };
    }
    case 'RetryScheduled': {
      const delay = e.data.dueAt - e.data.at;
      return {
        step: e.data.step,
        attempt: e.data.attempt,
        details: `${e.data.phase} attempt ${e.data.attempt} ${delay <= 0 ? 'immediately' : `in ${ms(delay)}`}`,
      };
    }
    case 'StepSkipped':
      return { step: e.data.step, attempt: null, details: `optional step skipped: ${e.data.reason}` };
    case 'RolledBack':
      return {
        step: e.data.step,
        attempt: null,
        details: e.data.toCheckpoint === null ? 'rolled back (no checkpoint yet)' : `rolled back to checkpoint ${e.data.toCheckpoint}`,
      };
    case 'CompensationPlanned':
      return {
        step: e.data.failedStep ?? '',
        attempt: null,
        details: `cause ${e.data.cause}; plan: ${e.data.plan.length === 0 ? 'nothing to compensate' : e.data.plan.join(' → ')}`,
      };
    case 'CheckpointRecorded':
      return { step: e.data.step ?? '', attempt: null, details: e.data.step === null ? 'periodic checkpoint' : 'checkpoint after step' };
    case 'SagaCompleted':
      return { step: '', attempt: null, details: 'completed' };
    case 'SagaCompensated':
      return { step: '', attempt: null, details: 'every completed step compensated' };
    case 'SagaFailed':
      return { step: e.data.step ?? '', attempt: null, details: `parked, needs attention: ${e.data.reason}` };
    case 'SagaCancelRequested':
      return { step: '', attempt: null, details: `cancel requested: ${e.data.reason}` };
    case 'SagaResumed':
      return { step: '', attempt: null, details: `resumed by ${e.data.by}` };
    default: {
      const d = (e as { data: { step?: unknown; attempt?: unknown } }).data;
      return { step: typeof d.step === 'string' ? d.step : '', attempt: typeof d.attempt === 'number' ? d.attempt : null, details: '' };
    }
  }
}

/** The rows of a stream's events, in stream order. Pure. */
export function eventRows(recorded: readonly RecordedEvent[]): EventRow[] {
  return recorded.map((r) => {
    const parsed = parse(r);
    const at = (r.data as { at?: unknown } | null)?.at;
    const worker = r.metadata['worker'];
    const rest = parsed ? describe(parsed) : { step: '', attempt: null, details: '(unrecognised event: raw data below)' };
    return {
      revision: r.revision,
      type: r.type,
      at: typeof at === 'number' ? at : null,
      recordedAt: r.recordedAt,
      worker: typeof worker === 'string' ? worker : '',
      data: r.data,
      ...rest,
    };
  });
}
