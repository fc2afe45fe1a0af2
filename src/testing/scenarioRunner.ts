/**
 * Runs a fault scenario through the real engine on a real store, with a virtual clock and
 * simulated crashes (the engine is killed: a dead process appends nothing more) and restarts
 * (a new engine resumes from the stream). Participants keep their own books so tests can
 * check effects, not just events.
 */
import { z } from 'zod';
import { PartialFailure, PayloadTooLargeError, PermanentError, StepTimeoutError, TransientError } from '../core/errors.js';
import { TERMINAL_EVENT_TYPES } from '../core/events.js';
import { defineSaga } from '../definition/defineSaga.js';
import type { SagaDefinition } from '../definition/defineSaga.js';
import type { Engine } from '../runtime/engine.js';
import { createEngine } from '../runtime/engine.js';
import { sagaStreamId } from '../runtime/sagaStream.js';
import type { EventStore, RecordedEvent } from '../stores/eventStore.js';
import type { AppendRefusalKind, Scenario } from './scenario.js';
import { createVirtualClock } from './virtualClock.js';
import { killEngine } from './killEngine.js';

/** The participants' books. */
export interface Ledger {
  /** Effects in force, by step. */
  active: Set<string>;
  /** Every apply and compensate, in order. */
  log: {
    /** Whether the step's effect was applied or compensated. */
    op: 'apply' | 'compensate';
    /** The step's name. */
    step: string;
  }[];
  /** How often each idempotency key was presented (at-least-once) vs applied (once). */
  presented: Map<string, number>;
  /** Steps whose action ran again after their success was already recorded in the stream: must stay empty. */
  rerunsAfterSuccess: string[];
}

/** What {@link runScenario} observed, for the test's assertions. */
export interface ScenarioReport {
  /** The saga's id. */
  sagaId: string;
  /** The saga's whole stream at the end. */
  events: RecordedEvent[];
  /** The participants' books. */
  ledger: Ledger;
  /** Appends the store accepted (over every engine of the run). */
  appends: number;
  /** Stream revision after each append: the states a crash could leave behind. */
  boundaries: number[];
  /** Engines started after a crash. */
  restarts: number;
  /** The saga definition built from the scenario. */
  definition: SagaDefinition<unknown, Record<string, unknown>>;
  /** The state the engine loads (snapshot + tail), for comparison with a full fold. */
  loadedState: unknown;
}

/** A deterministic [0, 1) source (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const never = new Promise<never>(() => {});

function refusal(kind: AppendRefusalKind): Error {
  switch (kind) {
    case 'tooLarge':
      return new PayloadTooLargeError('the store refuses this append: too large');
    case 'invalid':
      return new TypeError('the store refuses this append: invalid');
    case 'bug':
      return new RangeError('the store refuses this append: a bug');
  }
}

/**
 * Builds the saga definition of a scenario: each step's action and compensation act out the
 * scenario's faults, keep `ledger`'s books, and call `crash` for a crash fault. With `store`,
 * an action also records in `ledger.rerunsAfterSuccess` a run after its recorded success.
 */
export function scenarioDefinition(
  scenario: Scenario,
  ledger: Ledger,
  crash: () => void,
  store?: EventStore,
): SagaDefinition<unknown, Record<string, unknown>> {
  // Built in a loop, so the per-step output types cannot accumulate: `any` is honest here.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  // biome-ignore lint/suspicious/noExplicitAny: built in a loop, the step output types cannot accumulate.
  let definition: any = defineSaga({ name: 'scenario', input: z.object({ id: z.string() }), checkpointEvery: scenario.checkpointEvery });
  const apply = (step: string, key: string): void => {
    ledger.presented.set(key, (ledger.presented.get(key) ?? 0) + 1);
    // The participant deduplicates by idempotency key: at-least-once delivery, effect once.
    if (ledger.log.some((e) => e.op === 'apply' && e.step === step)) return;
    ledger.active.add(step);
    ledger.log.push({ op: 'apply', step });
  };
  const stepConfig = (spec: Scenario['steps'][number]) => ({
    optional: spec.optional,
    checkpoint: spec.checkpoint,
    retry: spec.retry,
    compensationRetry: spec.compensationRetry,
    run: async ({ attempt, idempotencyKey, sagaId }: { attempt: number; idempotencyKey: string; sagaId: string }) => {
      if (store) {
        const recorded = await store.readStream(sagaStreamId(sagaId));
        if (recorded.some((e) => e.type === 'StepSucceeded' && (e.data as { step?: string } | null)?.step === spec.name))
          ledger.rerunsAfterSuccess.push(spec.name);
      }
      const fault = spec.faults[attempt - 1] ?? 'ok';
      if (fault === 'crashBefore') {
        crash();
        return never;
      }
      // A participant that already applied this key answers with the first outcome (success),
      // whatever would have gone wrong this time: that is what deduplication means.
      const applied = ledger.log.some((e) => e.op === 'apply' && e.step === spec.name);
      // Steps without a compensation are read-only here: nothing of theirs could be undone.
      const effect = (): void => (spec.compensable ? apply(spec.name, idempotencyKey) : undefined);
      if (applied) effect();
      switch (applied && fault !== 'crashAfter' ? 'ok' : fault) {
        case 'transient':
          throw new TransientError('service unavailable (503)');
        case 'permanent':
          throw new PermanentError('business rule refused');
        case 'partial':
          effect();
          throw new PartialFailure('applied part of the effect');
        case 'timeout':
          throw new StepTimeoutError('timed out');
        case 'crashAfter':
          effect();
          crash();
          return never;
        default:
          effect();
          return { step: spec.name, attempt };
      }
    },
    ...(spec.compensable
      ? {
          compensate: async ({ attempt }: { attempt: number }) => {
            switch (spec.compensationFaults[attempt - 1] ?? 'ok') {
              case 'ok':
                if (ledger.active.delete(spec.name)) ledger.log.push({ op: 'compensate', step: spec.name });
                return;
              case 'fail':
                throw new TransientError('compensation endpoint down');
              case 'failPermanent':
                throw new PermanentError('compensation refused');
              case 'crash':
                crash();
                return never;
            }
          },
        }
      : {}),
  });
  // Consecutive steps of one parallel group become its branches.
  for (let i = 0; i < scenario.steps.length; ) {
    const spec = scenario.steps[i] as Scenario['steps'][number];
    const group = spec.parallel;
    if (!group) {
      definition = definition.step(spec.name, stepConfig(spec));
      i++;
      continue;
    }
    const members: Scenario['steps'] = [];
    for (const s of scenario.steps.slice(i)) {
      if (s.parallel?.group !== group.group) break;
      members.push(s);
    }
    // biome-ignore lint/suspicious/noExplicitAny: built in a loop, as above.
    definition = definition.parallel(group.group, { concurrency: group.concurrency }, (g: any) =>
      members.reduce((acc, m) => acc.step(m.name, stepConfig(m)), g),
    );
    i += members.length;
  }
  return definition as SagaDefinition<unknown, Record<string, unknown>>;
}

async function settle(engine: Engine): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await engine.idle();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Runs the scenario to a terminal state on `store`, with a virtual clock and jitter from
 * `seed`, restarting the engine after each crash (at most `maxRestarts`, default 100).
 * Throws if the saga gets stuck (a canContinue violation) or restarts too often.
 */
export async function runScenario(scenario: Scenario, store: EventStore, seed: number, options: { maxRestarts?: number } = {}): Promise<ScenarioReport> {
  const clock = createVirtualClock();
  const random = seededRandom(seed);
  const ledger: Ledger = { active: new Set(), log: [], presented: new Map(), rerunsAfterSuccess: [] };
  let engine: Engine | undefined;
  let crashed = false;
  let appends = 0;
  let calls = 0;
  const boundaries: number[] = [];
  let sagaId = '';
  const pendingCalls: Promise<unknown>[] = [];
  const crash = (): void => {
    crashed = true;
    if (engine) killEngine(engine);
  };
  const counting: EventStore = Object.create(store, {
    append: {
      value: async (...args: Parameters<EventStore['append']>) => {
        const refused = scenario.refuseAppends?.find((r) => r.at === calls + 1);
        calls++;
        if (refused && calls > 1) throw refusal(refused.kind);
        const result = await store.append(...args);
        appends++;
        if (args[0].startsWith('saga-')) boundaries.push(result.nextRevision);
        if (scenario.cancelAfterAppend === appends && sagaId) {
          const current = engine;
          pendingCalls.push(
            Promise.resolve()
              .then(() => current?.cancel(sagaId, 'cancelled by the test'))
              .catch(() => {}),
          );
        }
        if (scenario.crashAfterAppends.includes(appends)) crash();
        return result;
      },
    },
  });
  const definition = scenarioDefinition(scenario, ledger, crash, store);
  const boot = async (): Promise<Engine> => {
    crashed = false;
    engine = await createEngine({ store: counting, sagas: [definition], clock, random, leaseMs: 1_000, workerId: `worker-${Math.floor(random() * 1e9)}` });
    return engine;
  };
  let restarts = 0;
  let current = await boot();
  sagaId = (await current.start('scenario', { id: 'x' })).sagaId;
  const streamId = sagaStreamId(sagaId);
  for (let guard = 0; ; guard++) {
    if (guard > 10_000) throw new Error('scenario did not settle in 10,000 rounds');
    await settle(current);
    const calls = pendingCalls.splice(0);
    if (calls.length > 0) {
      // A cancel kicks a drive of its own: let it run before judging the saga.
      await Promise.all(calls);
      continue;
    }
    if (crashed) {
      if (++restarts > (options.maxRestarts ?? 100)) throw new Error('too many restarts');
      current = await boot();
      continue;
    }
    const [last] = await store.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    if (last && TERMINAL_EVENT_TYPES.has(last.type)) break;
    if (!clock.advanceToNext()) {
      const history = (await store.readStream(streamId)).map((e) => `${e.revision}:${e.type}`).join(' ');
      throw new Error(`saga stuck: last event ${last?.type} at revision ${last?.revision}, no timer pending; stream: ${history}`);
    }
  }
  const loadedState = await current.state(sagaId);
  await current.close({ graceMs: 0 });
  return { sagaId, events: await store.readStream(streamId), ledger, appends, boundaries, restarts, definition, loadedState };
}
