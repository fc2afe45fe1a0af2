/**
 * The OpenTelemetry adapter of the telemetry port: the only importer of `@opentelemetry/api`
 * (an optional peer). Spans: one per saga (`saga <name>`) and one per attempt (`step <step>`,
 * `compensate <step>`), the attempt's the active context while its action runs. Metrics through
 * the same API. Names and attributes: `TelemetryAttributes` / `TelemetryMetrics`, docs/observability.md.
 */
import {
  type Attributes,
  type Context,
  type Counter,
  type Histogram,
  type Meter,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  context,
  isSpanContextValid,
  metrics,
  trace,
} from '@opentelemetry/api';
import {
  type AppendedInfo,
  type AttemptEnd,
  type AttemptInfo,
  type AttemptTelemetry,
  type SagaStartInfo,
  type SagaStartTelemetry,
  type Telemetry,
  TelemetryAttributes as A,
  TelemetryMetrics as M,
  TRACEPARENT_METADATA_KEY,
} from '../telemetry.js';

/** Options of {@link openTelemetry}. */
export interface OpenTelemetryOptions {
  /** Where spans go. @default trace.getTracer('sagaflow') (the globally registered provider) */
  tracer?: Tracer;
  /** Where metrics go. @default metrics.getMeter('sagaflow') (the globally registered provider) */
  meter?: Meter;
  /**
   * Saga spans kept open in this process until their saga ends here; past it the oldest is
   * ended with `sagaflow.saga.outcome = open` (its saga still runs, its attempts still join it). @default 10_000
   */
  maxOpenSagaSpans?: number;
}

/** The name sagaflow's tracer and meter are registered under. */
export const INSTRUMENTATION_NAME = 'sagaflow';

/** A W3C `traceparent` header value for a span context. */
export function formatTraceparent(span: SpanContext): string {
  return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The span context of a W3C `traceparent` (version 00), as a remote parent; undefined for anything else. */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TRACEPARENT.exec(value.trim());
  if (!match) return undefined;
  const span: SpanContext = { traceId: match[1] as string, spanId: match[2] as string, traceFlags: Number.parseInt(match[3] as string, 16), isRemote: true };
  return isSpanContextValid(span) ? span : undefined;
}

/**
 * The parent of a saga's attempts: the trace context its start recorded; for a saga started
 * without one (before telemetry was turned on), a context derived from the saga id (its 32 hex
 * digits as the trace id), so that all its attempts still share one trace.
 */
export function sagaParentContext(sagaId: string, metadata: Readonly<Record<string, unknown>>): Context {
  const recorded = parseTraceparent(metadata[TRACEPARENT_METADATA_KEY]);
  if (recorded) return trace.setSpanContext(ROOT_CONTEXT, recorded);
  const hex = sagaId.replaceAll('-', '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return ROOT_CONTEXT;
  const derived: SpanContext = { traceId: hex, spanId: hex.slice(16), traceFlags: 1, isRemote: true };
  return isSpanContextValid(derived) ? trace.setSpanContext(ROOT_CONTEXT, derived) : ROOT_CONTEXT;
}

class OpenTelemetryAdapter implements Telemetry {
  private readonly tracer: Tracer;
  private readonly started: Counter;
  private readonly completed: Counter;
  private readonly compensated: Counter;
  private readonly parked: Counter;
  private readonly retries: Counter;
  private readonly duration: Histogram;
  /** Saga spans of sagas started here, open until they end here (oldest first). */
  private readonly open = new Map<string, Span>();
  private readonly maxOpen: number;

  constructor(options: OpenTelemetryOptions) {
    this.tracer = options.tracer ?? trace.getTracer(INSTRUMENTATION_NAME);
    const meter = options.meter ?? metrics.getMeter(INSTRUMENTATION_NAME);
    this.maxOpen = options.maxOpenSagaSpans ?? 10_000;
    this.started = meter.createCounter(M.started, { description: 'Sagas started', unit: '{saga}' });
    this.completed = meter.createCounter(M.completed, { description: 'Sagas completed', unit: '{saga}' });
    this.compensated = meter.createCounter(M.compensated, { description: 'Sagas compensated (rolled back)', unit: '{saga}' });
    this.parked = meter.createCounter(M.parked, { description: 'Sagas parked, needing attention', unit: '{saga}' });
    this.retries = meter.createCounter(M.retries, { description: 'Retries scheduled, of steps and compensations', unit: '{retry}' });
    this.duration = meter.createHistogram(M.attemptDuration, { description: 'Run time of step and compensation attempts', unit: 'ms' });
  }

  sagaStarting(info: SagaStartInfo): SagaStartTelemetry {
    const span = this.tracer.startSpan(
      `saga ${info.saga}`,
      { kind: SpanKind.INTERNAL, attributes: { [A.sagaId]: info.sagaId, [A.saga]: info.saga, [A.sagaVersion]: info.version } },
      context.active(),
    );
    const spanContext = span.spanContext();
    const metadata: Record<string, string> = isSpanContextValid(spanContext) ? { [TRACEPARENT_METADATA_KEY]: formatTraceparent(spanContext) } : {};
    return {
      metadata,
      settled: (result) => {
        if ('error' in result) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorCodeOf(result.error) });
          span.end();
        } else if (!result.created) {
          // The idempotency key named a saga that exists: its own span was made by its first start.
          span.setAttribute(A.sagaOutcome, 'existing');
          span.end();
        } else if (!info.drivenHere) {
          span.setAttribute(A.sagaOutcome, 'started');
          span.end();
        } else this.keepOpen(info.sagaId, span);
      },
    };
  }

  private keepOpen(sagaId: string, span: Span): void {
    this.open.set(sagaId, span);
    if (this.open.size <= this.maxOpen) return;
    const [oldest, oldSpan] = this.open.entries().next().value as [string, Span];
    this.open.delete(oldest);
    oldSpan.setAttribute(A.sagaOutcome, 'open');
    oldSpan.end();
  }

  attemptStarted(info: AttemptInfo): AttemptTelemetry {
    const parent = sagaParentContext(info.sagaId, info.sagaMetadata);
    const attributes: Attributes = {
      [A.sagaId]: info.sagaId,
      [A.saga]: info.saga,
      [A.step]: info.step,
      [A.attempt]: info.attempt,
      [A.phase]: info.phase,
      [A.worker]: info.worker,
    };
    const span = this.tracer.startSpan(`${info.phase === 'step' ? 'step' : 'compensate'} ${info.step}`, { kind: SpanKind.INTERNAL, attributes }, parent);
    const active = trace.setSpan(parent, span);
    const spanContext = span.spanContext();
    let ended = false;
    return {
      traceparent: isSpanContextValid(spanContext) ? formatTraceparent(spanContext) : undefined,
      run: (fn) => context.with(active, fn),
      end: (end: AttemptEnd) => {
        if (ended) return;
        ended = true;
        const result: Attributes = { [A.outcome]: end.outcome };
        if (end.kind) result[A.failureKind] = end.kind;
        if (end.errorCode) result[A.errorType] = end.errorCode;
        span.setAttributes(result);
        // The code, never the message: messages may carry personal data (docs/security.md).
        if (end.outcome === 'failed') span.setStatus({ code: SpanStatusCode.ERROR, message: end.errorCode ?? 'failed' });
        span.end();
        this.duration.record(end.durationMs, {
          [A.saga]: info.saga,
          [A.step]: info.step,
          [A.phase]: info.phase,
          [A.outcome]: end.outcome,
          ...(end.kind ? { [A.failureKind]: end.kind } : {}),
        });
      },
    };
  }

  appended(info: AppendedInfo): void {
    const saga = { [A.saga]: info.saga };
    for (const event of info.events) {
      switch (event.type) {
        case 'SagaStarted':
          this.started.add(1, saga);
          break;
        case 'SagaCompleted':
          this.completed.add(1, saga);
          this.endSaga(info.sagaId, 'completed', SpanStatusCode.OK);
          break;
        case 'SagaCompensated':
          this.compensated.add(1, saga);
          this.endSaga(info.sagaId, 'compensated', SpanStatusCode.UNSET);
          break;
        case 'SagaFailed':
          this.parked.add(1, saga);
          this.endSaga(info.sagaId, 'parked', SpanStatusCode.ERROR);
          break;
        case 'RetryScheduled': {
          const data = event.data as { step?: unknown; phase?: unknown };
          this.retries.add(1, { ...saga, [A.step]: String(data.step), [A.phase]: String(data.phase) });
          break;
        }
      }
    }
  }

  private endSaga(sagaId: string, outcome: string, status: SpanStatusCode): void {
    const span = this.open.get(sagaId);
    if (!span) return;
    this.open.delete(sagaId);
    span.setAttribute(A.sagaOutcome, outcome);
    if (status !== SpanStatusCode.UNSET) span.setStatus(status === SpanStatusCode.ERROR ? { code: status, message: outcome } : { code: status });
    span.end();
  }

  close(): void {
    for (const span of this.open.values()) {
      span.setAttribute(A.sagaOutcome, 'open');
      span.end();
    }
    this.open.clear();
  }
}

function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'ERROR';
}

/**
 * Telemetry on OpenTelemetry: pass it as `createEngine({ telemetry: openTelemetry() })`. Uses
 * the globally registered tracer and meter providers unless given a tracer and meter. For a
 * participant's spans to join a saga's trace, register a context manager (the Node SDK does;
 * otherwise `AsyncLocalStorageContextManager` from `@opentelemetry/context-async-hooks`).
 */
export function openTelemetry(options: OpenTelemetryOptions = {}): Telemetry {
  return new OpenTelemetryAdapter(options);
}
