/**
 * Item 5 of issue 12: the payload codec. The AES-256-GCM codec round-trips any JSON payload,
 * detects tampering with a typed error, rotates keys (old events still decode), erases the
 * payloads of a deleted key (crypto-shredding); the store decorator encodes exactly the payload
 * fields, and an engine with the codec runs a saga on a SQLite file that then holds no
 * plaintext of the card number.
 */
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createAesGcmCodec,
  createEngine,
  ENCODED_PAYLOAD_PREFIX,
  ERASED_TEXT,
  PayloadKeyInvalidError,
  PayloadKeyUnknownError,
  PayloadTamperedError,
  withPayloadCodec,
  type EventStore,
  type Json,
} from '../../../src/index.js';
import { createInMemoryEventStore } from '../../../src/stores/inMemory/index.js';
import { createSqliteEventStore } from '../../../src/stores/sqlite/index.js';
import { CARD, newKey, paymentSaga } from '../../support/codecSaga.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-codec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const k1 = newKey();
const k2 = newKey();
const context = { streamId: 'saga-x', eventType: 'SagaStarted', field: 'input' };

function started(input: Json) {
  return { id: uuidv7(), type: 'SagaStarted', data: { sagaId: 'x', saga: 's', version: 1, input, steps: [], idempotencyKey: null, at: 1 } };
}

describe('createAesGcmCodec', () => {
  it('decode(encode(x)) is x for every JSON payload, and the encoded text never contains it', () => {
    const codec = createAesGcmCodec({ keys: { k1 }, currentKeyId: 'k1' });
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const json = JSON.stringify(value);
        const encoded = codec.encode(json, context);
        expect(codec.decode(encoded, context)).toBe(json);
        expect(encoded.startsWith('aes256gcm:k1:')).toBe(true);
        if (json.length > 8) expect(encoded).not.toContain(json);
      }),
    );
  });

  it('refuses an altered ciphertext, tag, key id or a payload moved to another place, with PAYLOAD_TAMPERED', () => {
    const codec = createAesGcmCodec({ keys: { k1, k2 }, currentKeyId: 'k1' });
    const encoded = codec.encode(JSON.stringify({ card: CARD }), context);
    const [alg, kid, iv, ct, tag] = encoded.split(':') as [string, string, string, string, string];
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const cases = [
      [alg, kid, iv, flip(ct), tag],
      [alg, kid, iv, ct, flip(tag)],
      [alg, kid, flip(iv), ct, tag],
      [alg, 'k2', iv, ct, tag],
      [alg, kid, iv, ct.slice(0, -2), tag],
      [alg, kid, iv, ct],
      ['rot13', kid, iv, ct, tag],
    ].map((parts) => parts.join(':'));
    for (const bad of cases) {
      const error = (() => {
        try {
          codec.decode(bad, context);
        } catch (e) {
          return e;
        }
      })();
      expect(error, bad).toBeInstanceOf(PayloadTamperedError);
      expect(error).toMatchObject({ code: 'PAYLOAD_TAMPERED' });
    }
    expect(() => codec.decode(encoded, { ...context, streamId: 'saga-y' })).toThrow(PayloadTamperedError);
    expect(() => codec.decode(encoded, { ...context, field: 'output' })).toThrow(PayloadTamperedError);
  });

  it('rotates keys: new payloads use the current key, old ones decode while their key is in the ring, and a missing key is PAYLOAD_KEY_UNKNOWN', () => {
    const before = createAesGcmCodec({ keys: { k1 }, currentKeyId: 'k1' });
    const old = before.encode('"old"', context);
    const after = createAesGcmCodec({ keys: { k1, k2 }, currentKeyId: 'k2' });
    expect(after.decode(old, context)).toBe('"old"');
    const fresh = after.encode('"new"', context);
    expect(fresh.split(':')[1]).toBe('k2');
    const retired = createAesGcmCodec({ keys: { k2 }, currentKeyId: 'k2' });
    expect(retired.decode(fresh, context)).toBe('"new"');
    expect(() => retired.decode(old, context)).toThrow(PayloadKeyUnknownError);
    expect(() => retired.decode(old, context)).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_KEY_UNKNOWN', details: expect.objectContaining({ keyId: 'k1' }) }),
    );
  });

  it('checks its keys when made: 32 bytes, a known current key id, well-formed ids', () => {
    expect(() => createAesGcmCodec({ keys: { k1: 'c2hvcnQ=' }, currentKeyId: 'k1' })).toThrow(PayloadKeyInvalidError);
    expect(() => createAesGcmCodec({ keys: { k1 }, currentKeyId: 'k9' })).toThrow(expect.objectContaining({ code: 'PAYLOAD_KEY_INVALID' }));
    expect(() => createAesGcmCodec({ keys: { 'a:b': k1 }, currentKeyId: 'a:b' })).toThrow(PayloadKeyInvalidError);
  });
});

describe('withPayloadCodec', () => {
  it('encodes exactly the payload fields on append and decodes them on every read; the rest stays readable', async () => {
    const inner = createInMemoryEventStore();
    const store = withPayloadCodec(inner, createAesGcmCodec({ keys: { k1 }, currentKeyId: 'k1' }));
    const failed = {
      id: uuidv7(),
      type: 'StepFailed',
      data: {
        step: 'pay',
        attempt: 1,
        kind: 'permanent',
        exhausted: true,
        error: { name: 'PermanentError', code: 'DECLINED', message: `card ${CARD}` },
        at: 2,
      },
    };
    await store.append('saga-x', [started({ card: CARD }), failed], 'no_stream');
    const raw = await inner.readStream('saga-x');
    expect(JSON.stringify(raw)).not.toContain(CARD);
    expect(String((raw[0]?.data as { input?: unknown } | undefined)?.input).startsWith(ENCODED_PAYLOAD_PREFIX)).toBe(true);
    expect(raw[1]?.data).toMatchObject({ step: 'pay', attempt: 1, kind: 'permanent', error: { name: 'PermanentError', code: 'DECLINED' } });
    const read = await store.readStream('saga-x');
    expect(read.map((r) => r.data)).toEqual([started({ card: CARD }).data, failed.data]);
    expect((await store.readAll()).map((r) => r.data)).toEqual(read.map((r) => r.data));
    const live = await new Promise<Json>((resolve) => {
      const sub = store.subscribeToAll({ onEvent: (e) => void (e.type === 'StepFailed' && resolve(e.data) && sub.unsubscribe()) });
    });
    expect(live).toEqual(failed.data);
  });

  it('reads events written before the codec as they are, and erases the payloads of a deleted key', async () => {
    const inner = createInMemoryEventStore();
    await inner.append('saga-old', [started({ card: 'plain' })], 'no_stream');
    const keys: Record<string, string> = { 'saga-x': k1 };
    const codec = createAesGcmCodec({ keys: (id) => keys[id], currentKeyId: ({ streamId }) => streamId, erasedKeyIds: (id) => !(id in keys) });
    const store = withPayloadCodec(inner, codec);
    expect((await store.readStream('saga-old'))[0]?.data).toMatchObject({ input: { card: 'plain' } });
    const failed = { id: uuidv7(), type: 'SagaFailed', data: { reason: `card ${CARD}`, step: null, needsAttention: true, at: 3 } };
    await store.append('saga-x', [started({ card: CARD }), failed], 'no_stream');
    delete keys['saga-x'];
    const erased = await store.readStream('saga-x');
    expect(erased[0]?.data).toMatchObject({ sagaId: 'x', input: null });
    expect(erased[1]?.data).toMatchObject({ reason: ERASED_TEXT, needsAttention: true });
  });
});

describe('an engine with a codec', () => {
  it('runs a saga end to end on SQLite; the file holds no plaintext of the card number; without the keys it cannot be read', async () => {
    const path = join(dir, 'codec.db');
    const sqlite = createSqliteEventStore({ path });
    const codec = createAesGcmCodec({ keys: { k1 }, currentKeyId: 'k1' });
    const engine = await createEngine({ store: sqlite, sagas: [paymentSaga], codec });
    const { sagaId } = await engine.start(paymentSaga, { card: CARD, amount: 10 });
    const result = await engine.result(sagaId);
    expect(result).toMatchObject({ status: 'compensated', failure: { step: 'capture', code: 'DECLINED', message: `card ${CARD} declined` } });
    const replay = await engine.replay(sagaId);
    expect(replay.violations).toEqual([]);
    expect(replay.state?.input).toEqual({ card: CARD, amount: 10 });
    expect(replay.events.map((e) => e.type)).toContain('CheckpointRecorded');
    await engine.close();
    await sqlite.close();
    const files = readdirSync(dir).filter((f) => f.startsWith('codec.db'));
    const bytes = files.map((f) => readFileSync(join(dir, f)).toString('latin1')).join('');
    expect(bytes).toContain('StepFailed');
    expect(bytes).not.toContain(CARD);

    const reopened: EventStore = createSqliteEventStore({ path });
    try {
      const other = withPayloadCodec(reopened, createAesGcmCodec({ keys: { k2 }, currentKeyId: 'k2' }));
      const [first] = await other.readStream(`saga-${sagaId}`);
      expect(() => first?.data).toThrow(PayloadKeyUnknownError);
      const rotated = withPayloadCodec(reopened, createAesGcmCodec({ keys: { k1, k2 }, currentKeyId: 'k2' }));
      expect((await rotated.readStream(`saga-${sagaId}`))[0]?.data).toMatchObject({ input: { card: CARD } });
    } finally {
      await reopened.close();
    }
  });
});

describe('an engine meeting a payload it cannot decode', () => {
  it('parks a saga whose payload fails its integrity check, and leaves one whose key it lacks untouched', async () => {
    const inner = createInMemoryEventStore();
    const writer = await createEngine({ store: inner, sagas: [paymentSaga], runSagas: false, codec: createAesGcmCodec({ keys: { k1 }, currentKeyId: 'k1' }) });
    const { sagaId: tampered } = await writer.start(paymentSaga, { card: CARD, amount: 1 });
    const other = await createEngine({ store: inner, sagas: [paymentSaga], runSagas: false, codec: createAesGcmCodec({ keys: { k2 }, currentKeyId: 'k2' }) });
    const { sagaId: foreign } = await other.start(paymentSaga, { card: CARD, amount: 2 });
    await writer.close();
    await other.close();

    // Same key id, other bytes: every k1 payload fails authentication; k2's key is absent.
    const worker = await createEngine({ store: inner, sagas: [paymentSaga], codec: createAesGcmCodec({ keys: { k1: newKey() }, currentKeyId: 'k1' }) });
    try {
      // Parked as a corrupted stream is (its state cannot be folded by this engine: state() throws the same error).
      await worker.idle();
      const [last] = await inner.readStream(`saga-${tampered}`, { direction: 'backwards', maxCount: 1 });
      expect(last?.type).toBe('SagaFailed');
      await expect(worker.state(tampered)).rejects.toMatchObject({ code: 'PAYLOAD_TAMPERED' });
      const untouched = await inner.readStream(`saga-${foreign}`);
      expect(untouched.map((e) => e.type)).toEqual(['SagaStarted']);
    } finally {
      await worker.close();
    }
  });
});
