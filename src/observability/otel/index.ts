/**
 * `sagaflow/otel`: OpenTelemetry traces and metrics for the engine. Needs the optional peer
 * `@opentelemetry/api` (`npm install @opentelemetry/api`); the root export never loads it.
 *
 * @module sagaflow/otel
 */
export { openTelemetry, formatTraceparent, parseTraceparent, sagaParentContext, INSTRUMENTATION_NAME, type OpenTelemetryOptions } from './openTelemetry.js';
export { TelemetryAttributes, TelemetryMetrics, TRACEPARENT_METADATA_KEY, type Telemetry } from '../telemetry.js';
