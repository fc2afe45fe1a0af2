/**
 * The timeline of one saga stream as text: one line per event with its revision, the time
 * since the saga started, the event type, step and attempt, and what matters about it (how
 * long an attempt took, the delay before a retry, the compensation plan, why it failed).
 * Pure: no I/O, no clock; times come from the events' own `at`.
 */
import { eventDataSchemas, isSagaEventType } from '../core/events.js';
import type { SagaEvent } from '../core/events.js';

/** The fields of a stored event the timeline needs (a RecordedEvent or a SagaEventRecord has them). */
export interface TimelineEvent {
  /** The event's revision in its stream. */
  revision: number;
  /** The event type. */
  type: string;
  /** The event's data. */
  data: unknown;
}

/** Options of {@link formatTimeline}. */
export interface TimelineOptions {
  /** Start with a line naming the columns. @default true */
  header?: boolean;
  /** Prefix of every line, e.g. two spaces to indent it under a title. @default '' */
  indent?: string;
}

/** `850ms`, `1.25s`, `2m05s`. Negative or non-finite input shows as `?`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  // Truncated, not rounded, so 59 999 ms never reads as 60s.
  if (ms < 60_000) return `${(Math.floor(ms / 10) / 100).toFixed(2).replace(/\.?0+$/, '')}s`;
  const seconds = Math.floor(ms / 1_000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

interface Row {
  revision: string;
  time: string;
  type: string;
  step: string;
  attempt: string;
  details: string;
}

const HEADER: Row = { revision: 'rev', time: 'time', type: 'event', step: 'step', attempt: 'attempt', details: 'details' };

/** Validated event, or undefined when the type is unknown or the data malformed (shown raw). */
function parse(event: TimelineEvent): SagaEvent | undefined {
  if (!isSagaEventType(event.type)) return undefined;
  const parsed = eventDataSchemas[event.type].safeParse(event.data);
  return parsed.success ? ({ type: event.type, data: parsed.data } as SagaEvent) : undefined;
}

function plan(steps: readonly string[]): string {
  return steps.length === 0 ? 'nothing to compensate' : steps.join(' → ');
}

/** Remembers when each attempt started, to show how long it took when its outcome comes. */
class AttemptClock {
  private readonly started = new Map<string, number>();
  start(phase: string, step: string, attempt: number, at: number): void {
    this.started.set(`${phase}/${step}/${attempt}`, at);
  }
  /** The attempt's own duration when its worker recorded it; else the time between the two events (older streams). */
  took(phase: string, step: string, attempt: number, at: number, durationMs?: number): string {
    if (durationMs !== undefined) return `took ${formatDuration(durationMs)}`;
    const from = this.started.get(`${phase}/${step}/${attempt}`);
    return from === undefined ? 'took ?' : `took ${formatDuration(at - from)}`;
  }
}

function details(e: SagaEvent, attempts: AttemptClock): Pick<Row, 'step' | 'attempt' | 'details'> {
  const none = { step: '', attempt: '' };
  switch (e.type) {
    case 'SagaStarted': {
      const steps = e.data.steps.map((s) => `${s.name}${s.optional ? '?' : ''}`).join(' → ');
      const key = e.data.idempotencyKey === null ? '' : `  key ${e.data.idempotencyKey}`;
      return { ...none, details: `${e.data.saga} v${e.data.version}: ${steps}${key}` };
    }
    case 'StepStarted':
    case 'CompensationStarted':
      attempts.start(e.type === 'StepStarted' ? 'step' : 'compensation', e.data.step, e.data.attempt, e.data.at);
      return { step: e.data.step, attempt: String(e.data.attempt), details: '' };
    case 'StepSucceeded':
      return { step: e.data.step, attempt: String(e.data.attempt), details: attempts.took('step', e.data.step, e.data.attempt, e.data.at, e.data.durationMs) };
    case 'CompensationSucceeded':
      return {
        step: e.data.step,
        attempt: String(e.data.attempt),
        details: attempts.took('compensation', e.data.step, e.data.attempt, e.data.at, e.data.durationMs),
      };
    case 'StepFailed':
    case 'CompensationFailed': {
      const took = attempts.took(e.type === 'StepFailed' ? 'step' : 'compensation', e.data.step, e.data.attempt, e.data.at, e.data.durationMs);
      const exhausted = e.type === 'StepFailed' && e.data.exhausted ? ', retries exhausted' : '';
      return {
        step: e.data.step,
        attempt: String(e.data.attempt),
        details: `${took}  ${e.data.kind}${exhausted}: ${e.data.error.code}: ${e.data.error.message}`,
      };
    }
    case 'RetryScheduled': {
      const delay = e.data.dueAt - e.data.at;
      const what = e.data.phase === 'compensation' ? 'compensation attempt' : 'attempt';
      return {
        step: e.data.step,
        attempt: String(e.data.attempt),
        details: delay <= 0 ? `${what} ${e.data.attempt} immediately` : `${what} ${e.data.attempt} in ${formatDuration(delay)}`,
      };
    }
    case 'StepSkipped':
      return { step: e.data.step, attempt: '', details: `optional step skipped: ${e.data.reason}` };
    case 'RolledBack':
      return {
        step: e.data.step,
        attempt: '',
        details: e.data.toCheckpoint === null ? 'rolled back (no checkpoint recorded yet)' : `rolled back to checkpoint ${e.data.toCheckpoint}`,
      };
    case 'CompensationPlanned': {
      const at = e.data.failedStep === null ? '' : ` at ${e.data.failedStep}`;
      return { ...none, details: `cause ${e.data.cause}${at}; plan: ${plan(e.data.plan)}` };
    }
    case 'CheckpointRecorded':
      return {
        step: e.data.step ?? '',
        attempt: '',
        details: `${e.data.step === null ? 'periodic' : 'after step'} checkpoint${e.data.snapshot === null ? ' (no snapshot: too large)' : ''}`,
      };
    case 'SagaCompleted':
      return { ...none, details: 'completed' };
    case 'SagaCompensated':
      return { ...none, details: 'every completed step compensated' };
    case 'SagaFailed':
      return { step: e.data.step ?? '', attempt: '', details: `PARKED, needs attention: ${e.data.reason}` };
    case 'SagaCancelRequested':
      return { ...none, details: `reason: ${e.data.reason}` };
    case 'SagaResumed':
      return { ...none, details: `resumed by ${e.data.by}` };
    case 'SignalReceived':
      return { ...none, details: `signal ${e.data.name} (id ${e.data.signalId})` };
    case 'SignalAwaited':
      return {
        step: e.data.step,
        attempt: String(e.data.attempt),
        details: `waits for signal ${e.data.signal}, up to ${formatDuration(e.data.until - e.data.at)}`,
      };
    case 'SignalConsumed':
      return { step: e.data.step, attempt: String(e.data.attempt), details: `got signal ${e.data.signalId}` };
    default: {
      // LeaseExtended and event types added later: show step, attempt and the lease if present.
      const d = (e as { data: { step?: unknown; attempt?: unknown; leaseUntil?: unknown; at: number } }).data;
      const lease = typeof d.leaseUntil === 'number' ? `lease until +${formatDuration(d.leaseUntil - d.at)}` : '';
      return { step: typeof d.step === 'string' ? d.step : '', attempt: typeof d.attempt === 'number' ? String(d.attempt) : '', details: lease };
    }
  }
}

function atOf(data: unknown): number | undefined {
  const at = (data as { at?: unknown } | null)?.at;
  return typeof at === 'number' ? at : undefined;
}

/**
 * Formats a saga's events, in stream order, as aligned lines. Unknown or malformed events
 * are shown with their raw data rather than dropped, so the timeline never hides a fact.
 */
export function formatTimeline(events: readonly TimelineEvent[], options: TimelineOptions = {}): string[] {
  const origin = events.map((e) => atOf(e.data)).find((at) => at !== undefined);
  const attempts = new AttemptClock();
  const rows: Row[] = events.map((event) => {
    const at = atOf(event.data);
    const time = at === undefined || origin === undefined ? '?' : `+${formatDuration(at - origin)}`;
    const parsed = parse(event);
    const rest = parsed ? details(parsed, attempts) : { step: '', attempt: '', details: `(unrecognised) ${JSON.stringify(event.data)?.slice(0, 200) ?? ''}` };
    return { revision: String(event.revision), time, type: event.type, ...rest };
  });
  const all = options.header === false ? rows : [HEADER, ...rows];
  const width = (key: keyof Row): number => Math.max(0, ...all.map((r) => r[key].length));
  const [wRev, wTime, wType, wStep, wAttempt] = (['revision', 'time', 'type', 'step', 'attempt'] as const).map(width);
  return all.map((r) =>
    [
      (options.indent ?? '') + r.revision.padStart(wRev ?? 0),
      r.time.padEnd(wTime ?? 0),
      r.type.padEnd(wType ?? 0),
      r.step.padEnd(wStep ?? 0),
      r.attempt.padStart(wAttempt ?? 0),
      r.details,
    ]
      .join('  ')
      .trimEnd(),
  );
}
