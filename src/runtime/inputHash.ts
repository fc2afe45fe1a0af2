/** The fingerprint of a saga's input that an idempotency key is bound to (recorded in SagaStarted). */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonicalJson.js';

/** SHA-256 (hex) of the input's canonical JSON: equal inputs, whatever their key order, hash alike. */
export function inputHash(input: unknown): string {
  return createHash('sha256').update(canonicalJson(input)).digest('hex');
}
