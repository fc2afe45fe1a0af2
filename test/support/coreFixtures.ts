/** A small saga model and event builders for core unit tests. */
import { DEFAULT_COMPENSATION_RETRY_POLICY, DEFAULT_RETRY_POLICY, sagaEvent } from '../../src/core/index.js';
import type { RetryPolicy, SagaEvent, SagaModel, StepModel } from '../../src/core/index.js';

export const T0 = 1_000_000;
export const SAGA_ID = '0190f0f0-0000-7000-8000-000000000001';

export function stepOf(name: string, overrides: Partial<StepModel> = {}): StepModel {
  return {
    name,
    optional: false,
    checkpoint: false,
    compensable: true,
    retry: DEFAULT_RETRY_POLICY,
    compensationRetry: DEFAULT_COMPENSATION_RETRY_POLICY,
    ...overrides,
  };
}

export function modelOf(steps: StepModel[], checkpointEvery = 50): SagaModel {
  return { name: 'order', version: 1, steps, checkpointEvery };
}

/** reserve → charge → ship, ship without compensation, policies with no jitter for exact delays. */
export const policy: RetryPolicy = {
  ...DEFAULT_RETRY_POLICY,
  jitter: 'none',
  immediateAttempts: 1,
  maxAttempts: 4,
  initialDelayMs: 100,
  backoff: 2,
  maxDelayMs: 1_000,
};
export const model = modelOf([
  stepOf('reserve', { retry: policy }),
  stepOf('charge', { retry: policy, checkpoint: true }),
  stepOf('ship', { retry: policy, compensable: false }),
]);

export const started = (m: SagaModel = model): SagaEvent =>
  sagaEvent('SagaStarted', {
    sagaId: SAGA_ID,
    saga: m.name,
    version: m.version,
    input: { qty: 1 },
    steps: m.steps.map(({ name, optional, checkpoint, compensable }) => ({ name, optional, checkpoint, compensable })),
    idempotencyKey: null,
    at: T0,
  });
export const stepStarted = (step: string, attempt = 1, at = T0, leaseMs = 1_000): SagaEvent =>
  sagaEvent('StepStarted', { step, attempt, worker: 'w1', leaseUntil: at + leaseMs, at });
export const stepSucceeded = (step: string, attempt = 1, at = T0): SagaEvent => sagaEvent('StepSucceeded', { step, attempt, output: { ok: step }, at });
export const compStarted = (step: string, attempt = 1, at = T0): SagaEvent =>
  sagaEvent('CompensationStarted', { step, attempt, worker: 'w1', leaseUntil: at + 1_000, at });
export const compSucceeded = (step: string, attempt = 1, at = T0): SagaEvent => sagaEvent('CompensationSucceeded', { step, attempt, at });
export const err = (code = 'E', message = 'boom') => ({ name: 'Error', code, message });
