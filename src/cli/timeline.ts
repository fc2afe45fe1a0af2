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
  /** The event's metadata; its `worker` (who appended the event) feeds the worker column. */
  metadata?: unknown;
}

/** What a timeline cell shows, for {@link TimelineOptions.style}. */
export type TimelineTone = 'header' | 'dim' | 'ok' | 'failure' | 'retry' | 'compensation' | 'parked' | 'plain';

/** Options of {@link formatTimeline}. */
export interface TimelineOptions {
  /** Start with a line naming the columns. @default true */
  header?: boolean;
  /** Prefix of every line, e.g. two spaces to indent it under a title. @default '' */
  indent?: string;
  /** Add a column with each event's wall-clock time, `HH:MM:SS.mmm` UTC. @default false */
  clock?: boolean;
  /** Add a column with the time since the previous event. @default false */
  sincePrevious?: boolean;
  /** Add a column with the worker that appended the event, shown when it changes. @default false */
  worker?: boolean;
  /** Styles a padded cell (colour on a terminal); applied after alignment. @default none */
  style?: (tone: TimelineTone, text: string) => string;
}

/** The tone of an event type: failures, retries, compensations and the park stand out. */
export function toneOf(type: string): TimelineTone {
  if (type === 'SagaFailed') return 'parked';
  if (type === 'StepFailed' || type === 'CompensationFailed' || type === 'SagaCancelRequested') return 'failure';
  if (type === 'RetryScheduled' || type === 'SagaResumed') return 'retry';
  if (type.startsWith('Compensation') || type === 'RolledBack' || type === 'SagaCompensated' || type === 'StepSkipped') return 'compensation';
  if (type === 'StepSucceeded' || type === 'SagaCompleted') return 'ok';
  return 'plain';
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

/** One event of a timeline as its cells (text), with its tone: what {@link timelineRows} returns. */
export interface TimelineRow {
  /** The revision. */
  revision: string;
  /** Wall-clock time `HH:MM:SS.mmm` (UTC), `?` without a time. */
  clock: string;
  /** Time since the saga started, `+1.25s`. */
  time: string;
  /** Time since the previous event, `+12ms`; empty for the first. */
  delta: string;
  /** The worker that appended the event when it differs from the previous event's; else empty. */
  worker: string;
  /** The event type. */
  type: string;
  /** The step, when the event is about one. */
  step: string;
  /** The attempt, when the event is about one. */
  attempt: string;
  /** What matters about it: durations, the classified error, the retry delay, the plan. */
  details: string;
  /** How it is styled. */
  tone: TimelineTone;
}

type Row = Omit<TimelineRow, 'tone'>;

const HEADER: Row = {
  revision: 'rev',
  clock: 'at (UTC)',
  time: 'time',
  delta: 'Δ prev',
  worker: 'worker',
  type: 'event',
  step: 'step',
  attempt: 'attempt',
  details: 'details',
};

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

/** The link to another saga a row names: a child saga's parent, or the child a step starts. */
function links(e: Extract<SagaEvent, { type: 'SagaStarted' }>): string {
  const parent = e.data.parent ? `  child of saga ${e.data.parent.sagaId} (${e.data.parent.saga}, step ${e.data.parent.step})` : '';
  const children = (e.data.children ?? []).map((c) => `  step ${c.step} starts child ${c.sagaId} (${c.saga})`).join('');
  return `${parent}${children}`;
}

function details(e: SagaEvent, attempts: AttemptClock, children: Map<string, string>): Pick<Row, 'step' | 'attempt' | 'details'> {
  const none = { step: '', attempt: '' };
  switch (e.type) {
    case 'SagaStarted': {
      const steps = e.data.steps.map((s) => `${s.name}${s.optional ? '?' : ''}`).join(' → ');
      const key = e.data.idempotencyKey === null ? '' : `  key ${e.data.idempotencyKey}`;
      for (const c of e.data.children ?? []) children.set(c.step, c.sagaId);
      return { ...none, details: `${e.data.saga} v${e.data.version}: ${steps}${key}${links(e)}` };
    }
    case 'StepStarted':
    case 'CompensationStarted': {
      attempts.start(e.type === 'StepStarted' ? 'step' : 'compensation', e.data.step, e.data.attempt, e.data.at);
      const child = children.get(e.data.step);
      return { step: e.data.step, attempt: String(e.data.attempt), details: child === undefined ? '' : `child saga ${child}` };
    }
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
    case 'SagaMigrated': {
      const done = [...e.data.succeeded, ...e.data.skipped.map((step) => `${step} (skipped)`)];
      return { ...none, details: `migrated from version ${e.data.from} to ${e.data.to}; done: ${done.join(', ') || 'nothing yet'}` };
    }
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
 * The timeline's rows, one per event in stream order, as text cells. Unknown or malformed
 * events get their raw data as details rather than being dropped, so the timeline never hides
 * a fact. Pure.
 */
export function timelineRows(events: readonly TimelineEvent[]): TimelineRow[] {
  const origin = events.map((e) => atOf(e.data)).find((at) => at !== undefined);
  const attempts = new AttemptClock();
  const children = new Map<string, string>();
  let previousAt: number | undefined;
  let previousWorker: string | undefined;
  return events.map((event) => {
    const at = atOf(event.data);
    const time = at === undefined || origin === undefined ? '?' : `+${formatDuration(at - origin)}`;
    const delta = at === undefined || previousAt === undefined ? '' : `+${formatDuration(at - previousAt)}`;
    if (at !== undefined) previousAt = at;
    const worker = workerOf(event.metadata);
    const shownWorker = worker !== undefined && worker !== previousWorker ? worker : '';
    if (worker !== undefined) previousWorker = worker;
    const parsed = parse(event);
    const rest = parsed
      ? details(parsed, attempts, children)
      : { step: '', attempt: '', details: `(unrecognised) ${JSON.stringify(event.data)?.slice(0, 200) ?? ''}` };
    const tone: TimelineTone = parsed ? toneOf(event.type) : 'failure';
    return { revision: String(event.revision), clock: at === undefined ? '?' : clockOf(at), time, delta, worker: shownWorker, type: event.type, ...rest, tone };
  });
}

/**
 * Formats a saga's events, in stream order, as aligned lines (see {@link timelineRows}).
 * Pure.
 */
export function formatTimeline(events: readonly TimelineEvent[], options: TimelineOptions = {}): string[] {
  const rows = timelineRows(events);
  const all: TimelineRow[] = options.header === false ? rows : [{ ...HEADER, tone: 'header' }, ...rows];
  const style = options.style ?? ((_tone: TimelineTone, text: string) => text);
  const width = (key: keyof Row): number => Math.max(0, ...all.map((r) => r[key].length));
  const columns: { key: keyof Row; right?: boolean }[] = [
    { key: 'revision', right: true },
    ...(options.clock ? [{ key: 'clock' as const }] : []),
    { key: 'time' },
    ...(options.sincePrevious ? [{ key: 'delta' as const }] : []),
    { key: 'type' },
    { key: 'step' },
    { key: 'attempt', right: true },
    ...(options.worker ? [{ key: 'worker' as const }] : []),
  ];
  const widths = new Map(columns.map((c) => [c.key, width(c.key)]));
  const dim = new Set<keyof Row>(['clock', 'time', 'delta', 'worker']);
  return all.map((r) => {
    const cells = columns.map(({ key, right }) => {
      const cell = right ? r[key].padStart(widths.get(key) ?? 0) : r[key].padEnd(widths.get(key) ?? 0);
      if (r.tone === 'header') return style('header', cell);
      if (key === 'type') return style(r.tone, cell);
      return dim.has(key) ? style('dim', cell) : cell;
    });
    const last = r.tone === 'header' || r.tone === 'failure' || r.tone === 'parked' ? style(r.tone, r.details) : r.details;
    return `${options.indent ?? ''}${[...cells, last].join('  ')}`.trimEnd();
  });
}

function workerOf(metadata: unknown): string | undefined {
  const worker = (metadata as { worker?: unknown } | null | undefined)?.worker;
  return typeof worker === 'string' && worker !== '' ? worker : undefined;
}

/** `HH:MM:SS.mmm` in UTC: the day is in the saga's header. */
function clockOf(at: number): string {
  return Number.isFinite(at) ? new Date(at).toISOString().slice(11, 23) : '?';
}
