/**
 * The payload codec hook (Temporal's data converter / codec, for event-sourced sagas): the
 * payload fields of saga events — inputs, outputs, error messages, reasons, snapshots — are
 * encoded before they reach the store and decoded when read, at one boundary: a store
 * decorator the engine puts in front of its store. Core and stores stay unaware of it; event
 * types, step names, attempts, classifications and times stay readable (docs/security.md).
 */
import type { EventStore, Json, NewEvent, RecordedEvent, SubscribeToAllOptions } from '../../stores/eventStore.js';

/** Where a payload sits: for the choice of key (one per saga or data subject) and as authenticated data. */
export interface PayloadContext {
  /** The stream, `saga-<sagaId>`. */
  readonly streamId: string;
  /** The event type, e.g. `SagaStarted`. */
  readonly eventType: string;
  /** The field, e.g. `input`, `output`, `error.message`, `reason`, `snapshot`. */
  readonly field: string;
}

/**
 * Encodes and decodes payloads. Synchronous on purpose: it runs inside appends and the
 * delivery of subscriptions; a codec whose keys live in a KMS unwraps its data keys once, up
 * front, and keeps them in memory. `createAesGcmCodec()` is the one sagaflow ships.
 */
export interface PayloadCodec {
  /** Encodes a payload's JSON text; the result is stored as a string. */
  encode(plaintext: string, context: PayloadContext): string;
  /**
   * Decodes what `encode` returned, to the JSON text. Returns undefined when the payload was
   * erased on purpose (its key deleted: crypto-shredding); it then reads as `null` (a JSON
   * field) or `'[erased]'` (a text field).
   *
   * @throws {@link sagaflow!PayloadTamperedError} (`PAYLOAD_TAMPERED`) when the payload fails its integrity check.
   * @throws {@link sagaflow!PayloadKeyUnknownError} (`PAYLOAD_KEY_UNKNOWN`) when it names a key the codec does not hold.
   */
  decode(encoded: string, context: PayloadContext): string | undefined;
}

/** One payload field of an event type. */
export interface PayloadField {
  /** The path in the event's data, e.g. `['error', 'message']`. */
  readonly path: readonly string[];
  /** `json`: any value (erased: `null`); `text`: a string (erased: `'[erased]'`). */
  readonly kind: 'json' | 'text';
}

/** Marks an encoded payload in the store, so events written before the codec was configured still read as they are. */
export const ENCODED_PAYLOAD_PREFIX = 'sagaflow-codec:';

/** What a text field of an erased payload reads as. */
export const ERASED_TEXT = '[erased]';

/**
 * The payload fields of each saga event type: `json` fields hold any value, `text` fields a
 * string. Everything else in an event (types, steps, attempts, kinds, codes, times, workers) is
 * what an operator needs to audit a stream without the keys, and stays readable.
 */
export const PAYLOAD_FIELDS: Readonly<Record<string, readonly PayloadField[]>> = {
  SagaStarted: [{ path: ['input'], kind: 'json' }],
  StepSucceeded: [{ path: ['output'], kind: 'json' }],
  StepFailed: [{ path: ['error', 'message'], kind: 'text' }],
  CompensationFailed: [{ path: ['error', 'message'], kind: 'text' }],
  StepSkipped: [{ path: ['reason'], kind: 'text' }],
  SagaFailed: [{ path: ['reason'], kind: 'text' }],
  SagaCancelRequested: [{ path: ['reason'], kind: 'text' }],
  // A snapshot is the folded state: it holds the input, the outputs and the failures.
  CheckpointRecorded: [{ path: ['snapshot'], kind: 'json' }],
};

type JsonObject = { [key: string]: Json };

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `data` with the value at `path` replaced (copying only the objects on the path); unchanged when the path is absent. */
function mapAt(data: Json, path: readonly string[], map: (value: Json) => Json): Json {
  if (!isObject(data)) return data;
  const [head, ...rest] = path as [string, ...string[]];
  if (!(head in data)) return data;
  const value = data[head] as Json;
  return { ...data, [head]: rest.length === 0 ? map(value) : mapAt(value, rest, map) };
}

/** Encodes the payload fields of one event's data. */
export function encodePayloads(codec: PayloadCodec, streamId: string, type: string, data: Json): Json {
  const fields = PAYLOAD_FIELDS[type];
  if (!fields) return data;
  let out = data;
  for (const { path } of fields) {
    const context = { streamId, eventType: type, field: path.join('.') };
    out = mapAt(out, path, (value) => `${ENCODED_PAYLOAD_PREFIX}${codec.encode(JSON.stringify(value), context)}`);
  }
  return out;
}

/** Decodes the payload fields of one event's data; fields that are not encoded are left as they are. */
export function decodePayloads(codec: PayloadCodec, streamId: string, type: string, data: Json): Json {
  const fields = PAYLOAD_FIELDS[type];
  if (!fields) return data;
  let out = data;
  for (const { path, kind } of fields) {
    const context = { streamId, eventType: type, field: path.join('.') };
    out = mapAt(out, path, (value) => {
      if (typeof value !== 'string' || !value.startsWith(ENCODED_PAYLOAD_PREFIX)) return value;
      const plaintext = codec.decode(value.slice(ENCODED_PAYLOAD_PREFIX.length), context);
      if (plaintext === undefined) return kind === 'json' ? null : ERASED_TEXT;
      return JSON.parse(plaintext) as Json;
    });
  }
  return out;
}

/**
 * The record with its payloads decoded on first read of `data` (then kept): a worker's
 * subscription, which looks at types and metadata only, decrypts nothing, and a payload that
 * fails its check throws where it is read, naming nothing but its stream.
 */
function decodedRecord(codec: PayloadCodec, record: RecordedEvent): RecordedEvent {
  if (!PAYLOAD_FIELDS[record.type]) return record;
  let decoded: { value: Json } | undefined;
  const raw = record.data;
  const copy = { ...record };
  Object.defineProperty(copy, 'data', {
    enumerable: true,
    configurable: true,
    get: () => {
      decoded ??= { value: decodePayloads(codec, record.streamId, record.type, raw) };
      return decoded.value;
    },
  });
  return copy;
}

class PayloadCodecStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly codec: PayloadCodec,
  ) {}

  get kind(): string {
    return this.inner.kind;
  }
  get openStreams(): EventStore['openStreams'] {
    return this.inner.openStreams;
  }
  get workerLiveness(): EventStore['workerLiveness'] {
    return this.inner.workerLiveness;
  }

  append(...[streamId, events, expected]: Parameters<EventStore['append']>): ReturnType<EventStore['append']> {
    const encoded: NewEvent[] = events.map((e) =>
      PAYLOAD_FIELDS[e.type] ? Object.assign({}, e, { data: encodePayloads(this.codec, streamId, e.type, e.data) }) : e,
    );
    return this.inner.append(streamId, encoded, expected);
  }

  async readStream(...args: Parameters<EventStore['readStream']>): Promise<RecordedEvent[]> {
    return (await this.inner.readStream(...args)).map((r) => decodedRecord(this.codec, r));
  }

  async readAll(...args: Parameters<EventStore['readAll']>): Promise<RecordedEvent[]> {
    return (await this.inner.readAll(...args)).map((r) => decodedRecord(this.codec, r));
  }

  subscribeToAll(options: SubscribeToAllOptions): ReturnType<EventStore['subscribeToAll']> {
    return this.inner.subscribeToAll({ ...options, onEvent: (event) => options.onEvent(decodedRecord(this.codec, event)) });
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  observeRetries(observer: Parameters<NonNullable<EventStore['observeRetries']>>[0]): () => void {
    return this.inner.observeRetries?.(observer) ?? (() => {});
  }
}

/**
 * The store seen through a codec: appends encode the payload fields of saga events, reads and
 * subscriptions decode them. Everything else passes through (ids, types, metadata, revisions,
 * the open-stream index, worker liveness), so idempotent re-appends and fencing behave as
 * before. The engine does this itself when given `codec`; the CLI does it with `SAGAFLOW_CODEC`.
 */
export function withPayloadCodec(store: EventStore, codec: PayloadCodec): EventStore {
  return new PayloadCodecStore(store, codec);
}
