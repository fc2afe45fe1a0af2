/**
 * AES-256-GCM payload codec on `node:crypto`, with key ids so that keys rotate: every encoded
 * payload names its key (`aes256gcm:<keyId>:<iv>:<ciphertext>:<tag>`, base64url parts), new
 * payloads use the current key, and any key still in the ring decodes. The payload's place
 * (stream, event type, field) is authenticated data: a payload moved to another saga or field
 * fails its check like an altered one.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { PayloadKeyInvalidError, PayloadKeyUnknownError, PayloadTamperedError } from '../../core/errors.js';
import type { PayloadCodec, PayloadContext } from './payloadCodec.js';

/** A 32-byte key, as bytes or as base64 text (`openssl rand -base64 32`). */
export type AesKey = Uint8Array | string;

/** Options of {@link createAesGcmCodec}. */
export interface AesGcmCodecOptions {
  /**
   * The key ring: key id → 32-byte key, or a function that finds a key by id (a key per data
   * subject or per saga, looked up in your key store). Keep a retired key here for as long as
   * events encoded with it are read. Key ids: 1–128 of `A-Z a-z 0-9 . _ -`.
   */
  keys: Readonly<Record<string, AesKey>> | ((keyId: string) => AesKey | undefined);
  /**
   * The id of the key new payloads are encrypted with; or a function of the payload's place
   * that picks one, e.g. `({ streamId }) => streamId` for a key per saga (crypto-shredding).
   */
  currentKeyId: string | ((context: PayloadContext) => string);
  /**
   * Key ids deleted on purpose (crypto-shredding): their payloads read as erased (`null`, or
   * `'[erased]'` for text) instead of failing with PayloadKeyUnknownError. @default none
   */
  erasedKeyIds?: Iterable<string> | ((keyId: string) => boolean);
}

const ALGORITHM = 'aes256gcm';
const KEY_ID = /^[A-Za-z0-9._-]{1,128}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

function toKey(keyId: string, key: AesKey): Buffer {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'base64') : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  if (bytes.length !== 32) {
    throw new PayloadKeyInvalidError(`Key "${keyId}" is ${bytes.length} bytes; AES-256-GCM needs 32 (e.g. \`openssl rand -base64 32\`).`, {
      details: { keyId },
    });
  }
  return bytes;
}

function assertKeyId(keyId: string): void {
  if (!KEY_ID.test(keyId)) {
    throw new PayloadKeyInvalidError(`Invalid key id ${JSON.stringify(keyId)}: use 1-128 of A-Z a-z 0-9 . _ -`, { details: { keyId } });
  }
}

function aad(context: PayloadContext): Buffer {
  return Buffer.from(`${context.streamId}\n${context.eventType}\n${context.field}`, 'utf8');
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * An AES-256-GCM codec: pass it as `createEngine({ codec })`, and to the CLI through
 * `SAGAFLOW_CODEC` (docs/security.md). Keys given as a record are checked here.
 *
 * @throws {@link sagaflow!PayloadKeyInvalidError} (`PAYLOAD_KEY_INVALID`) for a key that is not 32 bytes, a malformed key id, or a current key id missing from a record of keys.
 */
export function createAesGcmCodec(options: AesGcmCodecOptions): PayloadCodec {
  const cache = new Map<string, Buffer>();
  const ring = options.keys;
  if (typeof ring !== 'function') {
    for (const [keyId, key] of Object.entries(ring)) {
      assertKeyId(keyId);
      cache.set(keyId, toKey(keyId, key));
    }
    if (typeof options.currentKeyId === 'string' && !cache.has(options.currentKeyId)) {
      throw new PayloadKeyInvalidError(`The current key id "${options.currentKeyId}" is not in the key ring (${[...cache.keys()].join(', ') || 'empty'}).`, {
        details: { keyId: options.currentKeyId },
      });
    }
  }
  const erased = options.erasedKeyIds;
  const isErased =
    typeof erased === 'function'
      ? erased
      : (
          (set: ReadonlySet<string>) => (id: string) =>
            set.has(id)
        )(new Set(erased ?? []));

  const keyOf = (keyId: string): Buffer | undefined => {
    if (typeof ring !== 'function') return cache.get(keyId);
    // A key store may delete a key at any time (erasure): look it up on every use.
    const key = ring(keyId);
    return key === undefined ? undefined : toKey(keyId, key);
  };

  return {
    encode(plaintext, context) {
      const keyId = typeof options.currentKeyId === 'string' ? options.currentKeyId : options.currentKeyId(context);
      assertKeyId(keyId);
      const key = keyOf(keyId);
      if (!key) throw new PayloadKeyUnknownError(`No key "${keyId}" to encrypt with: add it to the codec's key ring.`, { details: { keyId } });
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad(context));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [ALGORITHM, keyId, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join(':');
    },
    decode(encoded, context) {
      const parts = encoded.split(':');
      const [algorithm, keyId, iv, ciphertext, tag] = parts as [string, string, string, string, string];
      const where = `${context.eventType}.${context.field} in ${context.streamId}`;
      if (parts.length !== 5 || algorithm !== ALGORITHM || !KEY_ID.test(keyId) || ![iv, ciphertext, tag].every((p) => BASE64URL.test(p))) {
        throw new PayloadTamperedError(`The encoded payload ${where} is malformed: it was altered, or not written by the AES-256-GCM codec.`, {
          details: { streamId: context.streamId, field: context.field, reason: 'malformed' },
        });
      }
      const key = keyOf(keyId);
      if (!key) {
        if (isErased(keyId)) return undefined;
        throw new PayloadKeyUnknownError(
          `The payload ${where} was encrypted with key "${keyId}", which this codec does not hold: add it to the key ring (keep retired keys for as long as their events are read).`,
          { details: { keyId, streamId: context.streamId } },
        );
      }
      const ivBytes = Buffer.from(iv, 'base64url');
      const tagBytes = Buffer.from(tag, 'base64url');
      try {
        if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) throw new Error('bad iv or tag length');
        const decipher = createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: TAG_BYTES });
        decipher.setAAD(aad(context));
        decipher.setAuthTag(tagBytes);
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
      } catch (error) {
        throw new PayloadTamperedError(
          `The encoded payload ${where} fails its integrity check (key "${keyId}"): it was altered, or moved from another event.`,
          {
            details: { keyId, streamId: context.streamId, field: context.field, reason: 'authentication' },
            cause: error,
          },
        );
      }
    },
  };
}
