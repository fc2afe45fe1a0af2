/**
 * Checks on the saga streams after a fault test: every state along every stream is valid,
 * every state a crash could leave behind (the end of each append, by `metadata.append`) can
 * continue, no attempt has two outcomes, no step succeeded twice, and every saga ended the way
 * its injected faults say. Also counts takeovers. Each problem names the saga, the revision
 * and the invariant.
 */
import { canContinue, evolve, parseSagaEvent, violations, TERMINAL_EVENT_TYPES } from '../../src/index.js';
import type { EventStore, RecordedEvent, AnySagaDefinition, SagaState } from '../../src/index.js';

/** Every saga stream, by saga id, each in revision order. */
export async function readSagaStreams(store: EventStore): Promise<Map<string, RecordedEvent[]>> {
  const streams = new Map<string, RecordedEvent[]>();
  for (let after = 0; ; ) {
    const page = await store.readAll({ after, streamPrefix: 'saga-', maxCount: 2_000 });
    for (const event of page) {
      const id = event.streamId.slice('saga-'.length);
      streams.set(id, [...(streams.get(id) ?? []), event]);
    }
    const last = page.at(-1);
    if (!last || page.length < 2_000) break;
    after = last.position;
  }
  for (const events of streams.values()) events.sort((a, b) => a.revision - b.revision);
  return streams;
}

export interface StreamFigures {
  events: number;
  appends: number;
  /** StepStarted/CompensationStarted by another worker than the stream's previous intent. */
  takeovers: number;
  /** Of those, intents that re-ran an attempt whose outcome was never recorded (lost worker). */
  inDoubtReruns: number;
  leaseExtensions: number;
  /**
   * Sagas whose step lost every attempt with killed workers: compensated as partially applied
   * (docs/failures.md, "lost worker") although their faults called for completion. Correct,
   * rare with the test's large budgets, and checked like any compensation.
   */
  abandonedInDoubt: number;
  /** Intents (StepStarted/CompensationStarted) appended by each worker. */
  intentsByWorker: Record<string, number>;
  /** Sagas whose intents came from more than one worker. */
  sharedSagas: number;
}

export interface StreamReport {
  problems: string[];
  states: Map<string, SagaState>;
  figures: StreamFigures;
}

type Definition = AnySagaDefinition;
const OUTCOMES: Record<string, 'step' | 'compensation'> = {
  StepSucceeded: 'step',
  StepFailed: 'step',
  CompensationSucceeded: 'compensation',
  CompensationFailed: 'compensation',
};

/** Checks the streams of `expected` (saga id → the outcome its faults call for). */
export function checkStreams(streams: Map<string, RecordedEvent[]>, definitions: readonly Definition[], expected: Map<string, string>): StreamReport {
  const problems: string[] = [];
  const states = new Map<string, SagaState>();
  const figures: StreamFigures = {
    events: 0,
    appends: 0,
    takeovers: 0,
    inDoubtReruns: 0,
    leaseExtensions: 0,
    abandonedInDoubt: 0,
    intentsByWorker: {},
    sharedSagas: 0,
  };
  for (const id of streams.keys()) if (!expected.has(id)) problems.push(`saga ${id}: a stream nobody started`);
  for (const [sagaId, outcome] of expected) {
    const events = streams.get(sagaId);
    if (!events?.length) {
      problems.push(`saga ${sagaId}: started, but its stream is missing (lost)`);
      continue;
    }
    const state = checkStream(sagaId, events, definitions, problems, figures);
    if (!state) continue;
    states.set(sagaId, state);
    const where = `saga ${sagaId} (${state.saga}) at revision ${events.at(-1)?.revision}`;
    if (state.status === 'failed') problems.push(`${where}: parked (failed, needsAttention): ${state.failure?.message}`);
    else if (state.status !== 'completed' && state.status !== 'compensated')
      problems.push(`${where}: not terminal (status ${state.status}, last event ${events.at(-1)?.type})`);
    else if (state.status === 'compensated' && outcome === 'completed' && state.failure?.code === 'IN_DOUBT') figures.abandonedInDoubt++;
    else if (state.status !== outcome)
      problems.push(`${where}: ${state.status}, but its injected faults call for ${outcome} (failure: ${JSON.stringify(state.failure)})`);
  }
  return { problems, states, figures };
}

function checkStream(
  sagaId: string,
  events: RecordedEvent[],
  definitions: readonly Definition[],
  problems: string[],
  figures: StreamFigures,
): SagaState | undefined {
  let state: SagaState | undefined;
  let definition: Definition | undefined;
  const outcomes = new Map<string, string>();
  const succeeded = new Map<string, number>();
  let lastIntentWorker: string | undefined;
  let openIntent: string | undefined;
  const workers = new Set<string>();
  for (const [i, recorded] of events.entries()) {
    const where = `saga ${sagaId} (${state?.saga ?? '?'}) revision ${recorded.revision} (${recorded.type})`;
    if (recorded.revision !== i) problems.push(`${where}: expected revision ${i}: the stream has a gap`);
    let event: ReturnType<typeof parseSagaEvent>;
    try {
      event = parseSagaEvent(recorded, recorded);
    } catch (error) {
      problems.push(`${where}: unreadable: ${(error as Error).message}`);
      return undefined;
    }
    state = evolve(state, event);
    if (!state) return undefined;
    definition ??= definitions.find((d) => d.name === state?.saga && d.version === state.version);
    if (!definition) {
      problems.push(`${where}: no definition for ${state.saga}@${state.version}`);
      return undefined;
    }
    figures.events++;
    for (const broken of violations(state, definition)) problems.push(`${where}: invariant broken: ${broken}`);
    const appendId = recorded.metadata['append'];
    if (typeof appendId !== 'string' || typeof recorded.metadata['worker'] !== 'string') problems.push(`${where}: metadata.append or metadata.worker missing`);
    const next = events[i + 1];
    if (!next || next.metadata['append'] !== appendId) {
      figures.appends++;
      // A crash right after this append leaves this state behind: it must be able to go on.
      if (!canContinue(definition, state, Date.now()))
        problems.push(`${where}: canContinue is false at the end of append ${String(appendId)} (status ${state.status})`);
    }
    if (TERMINAL_EVENT_TYPES.has(recorded.type) && next) problems.push(`${where}: events after the terminal event (${next.type} at revision ${next.revision})`);
    const data = event.data as { step?: string; attempt?: number; worker?: string };
    if (event.type === 'SagaResumed') outcomes.clear(); // a resumed saga counts attempts from 1 again
    if (event.type === 'LeaseExtended') figures.leaseExtensions++;
    if (event.type === 'StepStarted' || event.type === 'CompensationStarted') {
      if (lastIntentWorker !== undefined && data.worker !== lastIntentWorker) {
        figures.takeovers++;
        if (openIntent) figures.inDoubtReruns++;
      }
      lastIntentWorker = data.worker;
      const worker = String(data.worker);
      workers.add(worker);
      figures.intentsByWorker[worker] = (figures.intentsByWorker[worker] ?? 0) + 1;
      openIntent = `${event.type === 'StepStarted' ? 'step' : 'compensation'} ${data.step}#${data.attempt}`;
    }
    const phase = OUTCOMES[event.type];
    if (phase) {
      const attempt = `${phase} ${data.step}#${data.attempt}`;
      const earlier = outcomes.get(attempt);
      if (earlier) problems.push(`${where}: ${attempt} has two outcomes: ${earlier} and ${event.type}@${recorded.revision}`);
      outcomes.set(attempt, `${event.type}@${recorded.revision}`);
      if (openIntent === attempt) openIntent = undefined;
      if (event.type === 'StepSucceeded' || event.type === 'CompensationSucceeded') {
        const key = `${phase} ${data.step}`;
        succeeded.set(key, (succeeded.get(key) ?? 0) + 1);
        if ((succeeded.get(key) ?? 0) > 1) problems.push(`${where}: ${key} succeeded more than once`);
      }
    }
  }
  if (workers.size > 1) figures.sharedSagas++;
  return state;
}
