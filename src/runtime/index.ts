export * from './engine.js';
export * from './clock.js';
export type { EngineHealth, HealthStatus } from './storeHealth.js';
export * from './sagaResult.js';
export { sagaStreamId, sagaIdOf, loadSaga, SAGA_STREAM_PREFIX } from './sagaStream.js';
export type { LoadedSaga } from './sagaStream.js';
export * from './sagaObservable.js';
export { sagaOpenStreamPlanner } from './unfinishedSagas.js';
export {
  withPayloadCodec,
  encodePayloads,
  decodePayloads,
  PAYLOAD_FIELDS,
  ENCODED_PAYLOAD_PREFIX,
  ERASED_TEXT,
  type PayloadCodec,
  type PayloadContext,
  type PayloadField,
} from './codec/payloadCodec.js';
export { createAesGcmCodec, type AesGcmCodecOptions, type AesKey } from './codec/aesGcmCodec.js';
export type { SignalOptions, SignalResult } from './sendSignal.js';
export { childSagaId, childIdempotencyKey, verdictSignalId } from './childSagas.js';
