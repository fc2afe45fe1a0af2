/**
 * The runtime's side of the telemetry port: the port itself, and the metadata each saga's start
 * recorded (its trace context), remembered so that a drive does not read the stream's first
 * event again. Exists only when the engine is given `telemetry`.
 */
import { TERMINAL_EVENT_TYPES } from '../core/events.js';
import type { Telemetry } from '../observability/telemetry.js';
import type { EventStore } from '../stores/eventStore.js';
import { sagaStreamId } from './sagaStream.js';

/** Sagas whose start metadata is remembered; beyond it the oldest is forgotten (and read again when needed). */
const REMEMBERED = 10_000;

export class TelemetryLink {
  private readonly starts = new Map<string, Readonly<Record<string, unknown>>>();

  constructor(readonly port: Telemetry) {}

  /** Remembers what the saga's first append recorded. */
  remember(sagaId: string, metadata: Readonly<Record<string, unknown>>): void {
    this.starts.delete(sagaId);
    this.starts.set(sagaId, metadata);
    if (this.starts.size > REMEMBERED) {
      const oldest = this.starts.keys().next().value;
      if (oldest !== undefined) this.starts.delete(oldest);
    }
  }

  /** The metadata of the saga's SagaStarted: remembered, else read (one event). A failed read gives `{}`: telemetry never fails a drive. */
  async startMetadata(store: EventStore, sagaId: string): Promise<Readonly<Record<string, unknown>>> {
    const known = this.starts.get(sagaId);
    if (known) return known;
    try {
      const [first] = await store.readStream(sagaStreamId(sagaId), { fromRevision: 0, maxCount: 1 });
      const metadata = first?.metadata ?? {};
      this.remember(sagaId, metadata);
      return metadata;
    } catch {
      return {};
    }
  }

  /** Reports a durable append, and forgets a saga that ended. */
  appended(sagaId: string, saga: string, events: readonly { readonly type: string; readonly data: unknown }[]): void {
    this.port.appended({ sagaId, saga, events });
    if (events.some((e) => TERMINAL_EVENT_TYPES.has(e.type))) this.starts.delete(sagaId);
  }
}
