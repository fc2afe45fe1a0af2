/**
 * Item 4 of issue 12: the OpenTelemetry adapter, checked with the SDK's in-memory exporters.
 * A compensated saga gives one saga span (a child of the caller's span) and one span per
 * attempt, children of the saga span, in the order they ran (compensations in reverse); a span
 * started inside a step, as an instrumented HTTP client would, is a child of the attempt's span.
 */
import { context, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEngine, defineSaga, type Engine, PermanentError, TransientError } from '../../../src/index.js';
import { openTelemetry, parseTraceparent } from '../../../src/observability/otel/index.js';
import { createInMemoryEventStore } from '../../../src/stores/inMemory/index.js';

const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const tracer: Tracer = tracerProvider.getTracer('test');
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
const meterProvider = new MeterProvider({ readers: [reader] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => context.setGlobalContextManager(contextManager.enable()));
afterAll(async () => {
  context.disable();
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
});
const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close({ graceMs: 100 });
  spans.reset();
});

function telemetry() {
  return openTelemetry({ tracer: tracerProvider.getTracer('sagaflow'), meter: meterProvider.getMeter('sagaflow') });
}

/** reserve, charge (transient once; calls a "participant" over HTTP), ship (permanent): compensates charge, then reserve. */
function order(seen: { traceparents: (string | undefined)[] }) {
  return defineSaga({ name: 'order', input: z.object({ card: z.string() }) })
    .step('reserve', { run: () => ({ id: 'r1' }), compensate: () => {} })
    .step('charge', {
      retry: { initialDelayMs: 1, maxDelayMs: 2 },
      run: async ({ attempt, traceparent }) => {
        seen.traceparents.push(traceparent);
        // What an instrumented HTTP client does: a span in the active context.
        await tracer.startActiveSpan('POST /charges', async (http) => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          http.end();
        });
        if (attempt === 1) throw new TransientError('gateway timeout');
        return { paid: true };
      },
      compensate: () => {},
    })
    .step('ship', {
      run: () => {
        throw new PermanentError('address rejected 4111 1111 1111 1111', { details: { code: 'ADDRESS_REJECTED' } });
      },
    });
}

const finished = (): ReadableSpan[] => [...spans.getFinishedSpans()].sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
const attr = (span: ReadableSpan, name: string) => span.attributes[name];

async function metric(name: string): Promise<MetricData | undefined> {
  await reader.forceFlush();
  const all = metricExporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
  return all.filter((m) => m.descriptor.name === name).at(-1);
}

describe('openTelemetry()', () => {
  it('traces a compensated saga: a saga span under the caller, attempt spans under it in the order they ran, a step HTTP span under its attempt', async () => {
    const seen = { traceparents: [] as (string | undefined)[] };
    const saga = order(seen);
    const engine = await createEngine({ store: createInMemoryEventStore(), sagas: [saga], telemetry: telemetry() });
    engines.push(engine);
    const request = tracer.startSpan('POST /orders');
    const { sagaId } = await context.with(trace.setSpan(context.active(), request), () => engine.start(saga, { card: '4111 1111 1111 1111' }));
    request.end();
    expect((await engine.result(sagaId)).status).toBe('compensated');

    const all = finished();
    const sagaSpan = all.find((s) => s.name === 'saga order') as ReadableSpan;
    expect(sagaSpan).toBeDefined();
    expect(sagaSpan.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(sagaSpan.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(sagaSpan.attributes).toMatchObject({
      'sagaflow.saga.id': sagaId,
      'sagaflow.saga.name': 'order',
      'sagaflow.saga.version': 1,
      'sagaflow.saga.outcome': 'compensated',
    });

    const attempts = all.filter((s) => s.name.startsWith('step ') || s.name.startsWith('compensate '));
    expect(
      attempts.map((s) => `${s.name}#${attr(s, 'sagaflow.attempt')} ${attr(s, 'sagaflow.outcome')} ${attr(s, 'sagaflow.failure.kind') ?? ''}`.trim()),
    ).toEqual([
      'step reserve#1 succeeded',
      'step charge#1 failed transient',
      'step charge#2 succeeded',
      'step ship#1 failed permanent',
      'compensate charge#1 succeeded',
      'compensate reserve#1 succeeded',
    ]);
    for (const span of attempts) {
      expect(span.parentSpanContext?.spanId).toBe(sagaSpan.spanContext().spanId);
      expect(span.spanContext().traceId).toBe(sagaSpan.spanContext().traceId);
      expect(span.attributes).toMatchObject({ 'sagaflow.saga.id': sagaId, 'sagaflow.saga.name': 'order', 'sagaflow.worker': engine.workerId });
    }
    const ship = attempts[3] as ReadableSpan;
    expect(ship.attributes).toMatchObject({ 'sagaflow.step': 'ship', 'sagaflow.phase': 'step', 'error.type': 'ADDRESS_REJECTED' });
    expect(ship.status).toEqual({ code: 2, message: 'ADDRESS_REJECTED' });
    expect(attempts[4]?.attributes['sagaflow.phase']).toBe('compensation');
    // The message (which carries a card number here) is in no span.
    expect(JSON.stringify(all.map((s) => [s.attributes, s.status, s.events]))).not.toContain('4111');

    const charges = attempts.filter((s) => s.name === 'step charge');
    const http = all.filter((s) => s.name === 'POST /charges');
    expect(http.map((s) => s.parentSpanContext?.spanId)).toEqual(charges.map((s) => s.spanContext().spanId));
    expect(seen.traceparents.map((t) => parseTraceparent(t)?.spanId)).toEqual(charges.map((s) => s.spanContext().spanId));
  });

  it('counts started, completed, compensated, parked and retries, and records attempt durations by step, phase and outcome', async () => {
    const saga = order({ traceparents: [] });
    const ok = defineSaga({ name: 'ok', input: z.object({}) }).step('only', { run: () => 1 });
    const engine = await createEngine({ store: createInMemoryEventStore(), sagas: [saga, ok], telemetry: telemetry() });
    engines.push(engine);
    const count = async (name: string, saga: string) => pointValue(await metric(name), { 'sagaflow.saga.name': saga });
    const startedBefore = (await count('sagaflow.sagas.started', 'order')) ?? 0;
    const compensatedBefore = (await count('sagaflow.sagas.compensated', 'order')) ?? 0;
    const retriesBefore = (await count('sagaflow.attempts.retries', 'order')) ?? 0;
    const a = await engine.start(saga, { card: 'x' });
    const b = await engine.start(ok, {});
    await engine.result(a.sagaId);
    await engine.result(b.sagaId);
    expect(await count('sagaflow.sagas.started', 'order')).toBe(startedBefore + 1);
    expect(await count('sagaflow.sagas.compensated', 'order')).toBe(compensatedBefore + 1);
    expect(await count('sagaflow.attempts.retries', 'order')).toBe(retriesBefore + 1);
    expect(await count('sagaflow.sagas.completed', 'ok')).toBeGreaterThanOrEqual(1);
    const durations = await metric('sagaflow.attempt.duration');
    expect(durations?.descriptor.unit).toBe('ms');
    const failedCharge = durations?.dataPoints.find(
      (p) =>
        p.attributes['sagaflow.step'] === 'charge' && p.attributes['sagaflow.outcome'] === 'failed' && p.attributes['sagaflow.failure.kind'] === 'transient',
    );
    expect((failedCharge?.value as { count: number } | undefined)?.count ?? 0).toBeGreaterThanOrEqual(1);
    const compensation = durations?.dataPoints.find((p) => p.attributes['sagaflow.step'] === 'reserve' && p.attributes['sagaflow.phase'] === 'compensation');
    expect((compensation?.value as { count: number } | undefined)?.count ?? 0).toBeGreaterThanOrEqual(1);
  });

  it('counts a parked saga', async () => {
    const stuck = defineSaga({ name: 'stuck', input: z.object({}) })
      .step('a', { run: () => 1, compensate: () => Promise.reject(new PermanentError('no')), retry: { maxAttempts: 1 } })
      .step('b', { run: () => Promise.reject(new PermanentError('fail')) });
    const engine = await createEngine({ store: createInMemoryEventStore(), sagas: [stuck], telemetry: telemetry() });
    engines.push(engine);
    const { sagaId } = await engine.start(stuck, {});
    expect((await engine.result(sagaId)).status).toBe('failed');
    expect(pointValue(await metric('sagaflow.sagas.parked'), { 'sagaflow.saga.name': 'stuck' })).toBe(1);
    expect(finished().find((s) => s.name === 'saga stuck')?.attributes['sagaflow.saga.outcome']).toBe('parked');
  });

  it("joins the trace recorded at the start from another engine: a client's saga span is the parent of the worker's attempt spans", async () => {
    const store = createInMemoryEventStore();
    const saga = defineSaga({ name: 'handover', input: z.object({}) }).step('one', { run: () => 1 });
    const client = await createEngine({ store, sagas: [saga], runSagas: false, telemetry: telemetry() });
    engines.push(client);
    const { sagaId } = await client.start(saga, {});
    const sagaSpan = finished().find((s) => s.name === 'saga handover') as ReadableSpan;
    expect(sagaSpan.attributes['sagaflow.saga.outcome']).toBe('started');
    const [first] = await store.readStream(`saga-${sagaId}`);
    expect(parseTraceparent(first?.metadata['traceparent'])?.spanId).toBe(sagaSpan.spanContext().spanId);

    const worker = await createEngine({ store, sagas: [saga], telemetry: telemetry() });
    engines.push(worker);
    expect((await worker.result(sagaId)).status).toBe('completed');
    const attempt = finished().find((s) => s.name === 'step one') as ReadableSpan;
    expect(attempt.parentSpanContext?.spanId).toBe(sagaSpan.spanContext().spanId);
    expect(attempt.spanContext().traceId).toBe(sagaSpan.spanContext().traceId);
  });

  it('gives a saga started without telemetry a trace id derived from its id, shared by all its attempts', async () => {
    const store = createInMemoryEventStore();
    const saga = defineSaga({ name: 'legacy', input: z.object({}) })
      .step('one', { run: () => 1 })
      .step('two', { run: () => 2 });
    const client = await createEngine({ store, sagas: [saga], runSagas: false });
    engines.push(client);
    const { sagaId } = await client.start(saga, {});
    const worker = await createEngine({ store, sagas: [saga], telemetry: telemetry() });
    engines.push(worker);
    await worker.result(sagaId);
    const attempts = finished().filter((s) => s.name.startsWith('step '));
    expect(attempts.map((s) => s.spanContext().traceId)).toEqual([sagaId.replaceAll('-', ''), sagaId.replaceAll('-', '')]);
  });
});

function pointValue(data: MetricData | undefined, attributes: Record<string, string>): number | undefined {
  const point = data?.dataPoints.find((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v));
  return point?.value as number | undefined;
}
