/**
 * Runs example sagas on a real engine over the in-memory store with a real clock and tiny
 * retry delays, and hands back what tests look at: the result and the stream.
 */
import { createEngine } from '../../../src/runtime/engine.js';
import type { Engine } from '../../../src/runtime/engine.js';
import type { SagaResult } from '../../../src/runtime/sagaResult.js';
import type { AnySagaDefinition } from '../../../src/definition/defineSaga.js';
import { createInMemoryEventStore } from '../../../src/stores/inMemory/index.js';
import type { ExampleSagaOptions } from '../../../sagas/index.js';

/** Retry fast so that tests finish in milliseconds; no jitter so delays are predictable. */
export const FAST: ExampleSagaOptions = {
  retry: { immediateAttempts: 1, maxAttempts: 4, initialDelayMs: 2, maxDelayMs: 10, jitter: 'none' },
  compensationRetry: { immediateAttempts: 1, maxAttempts: 3, initialDelayMs: 2, maxDelayMs: 10, jitter: 'none' },
};

export interface Run {
  engine: Engine;
  sagaId: string;
  result: SagaResult;
  /** The stream's events in order. */
  events: { type: string; data: Record<string, unknown> }[];
  types: string[];
  violations: string[];
}

/** Events of one type, with their data. */
export function ofType(run: Pick<Run, 'events'>, type: string): Record<string, unknown>[] {
  return run.events.filter((e) => e.type === type).map((e) => e.data);
}

/** Starts `name` with `input` on a fresh engine, waits for the result, and reads the stream back. */
export async function runSaga(definition: AnySagaDefinition, input: unknown, idempotencyKey?: string): Promise<Run> {
  const engine = await createEngine({ store: createInMemoryEventStore(), sagas: [definition] });
  try {
    const { sagaId } = await engine.start(definition.name, input, idempotencyKey === undefined ? {} : { idempotencyKey });
    const result = await engine.result(sagaId);
    return { engine, sagaId, result, ...(await readBack(engine, sagaId)) };
  } finally {
    await engine.close();
  }
}

/** The stream of `sagaId` as the engine replays it, with the invariant check. */
export async function readBack(engine: Engine, sagaId: string): Promise<Pick<Run, 'events' | 'types' | 'violations'>> {
  const replay = await engine.replay(sagaId);
  const events = replay.events.map((e) => ({ type: e.type, data: e.data as Record<string, unknown> }));
  return { events, types: events.map((e) => e.type), violations: replay.violations };
}
