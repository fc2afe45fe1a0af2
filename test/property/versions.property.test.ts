/**
 * Issue 11 item 5, as properties over the pure core: random sagas in a version 1 and a random
 * version 2 (steps inserted, budgets changed), run by `transition` under random outcomes and
 * lost workers, with a deploy at a random moment that either keeps version 1 registered or
 * drops it (the runtime then migrates, or parks when it cannot). Checked along every stream:
 * a saga never changes version without a migration event, every state is valid for the
 * version it runs with and canContinue after each append, and a saga whose version stays
 * registered finishes on it, running only its own steps.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canContinue,
  DEFAULT_COMPENSATION_RETRY_POLICY,
  DEFAULT_RETRY_POLICY,
  fold,
  isTerminal,
  migrationBlocker,
  migrationEvent,
  migrationSnapshot,
  sagaEvent,
  stepShapes,
  transition,
  versionViolations,
  violations,
} from '../../src/core/index.js';
import type { MigrationResult, SagaEvent, SagaModel, SagaState, StepModel } from '../../src/core/index.js';
import { propertyRuns } from '../support/propertyRuns.js';

const RUNS = propertyRuns(1_000);
const T0 = 1_000_000;
const LEASE = 100;

type Outcome = 'ok' | 'transient' | 'permanent' | 'partial' | 'lost';

interface Case {
  v1: SagaModel;
  v2: SagaModel;
  /** Which v2 steps are new (inserted). */
  inserted: ReadonlySet<string>;
  /** Before which transition the deploy happens. */
  deployAt: number;
  /** Whether the deploy drops version 1 (else it stays registered beside version 2). */
  dropsV1: boolean;
  /** Whether the migration marks the inserted steps before the saga's position done (a careless one does not). */
  carefulMigration: boolean;
  outcomes: Outcome[];
}

const policyArb = fc.record({ maxAttempts: fc.integer({ min: 1, max: 4 }), immediateAttempts: fc.integer({ min: 0, max: 2 }) });

function stepModel(name: string, p: { maxAttempts: number; immediateAttempts: number }, optional: boolean, compensable: boolean): StepModel {
  return {
    name,
    optional,
    checkpoint: false,
    compensable,
    retry: { ...DEFAULT_RETRY_POLICY, ...p, initialDelayMs: 10, maxDelayMs: 50, jitter: 'none' },
    compensationRetry: { ...DEFAULT_COMPENSATION_RETRY_POLICY, maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 50, jitter: 'none' },
  };
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    v1Steps: fc.array(fc.record({ p: policyArb, optional: fc.boolean(), compensable: fc.boolean() }), { minLength: 1, maxLength: 4 }),
    insertions: fc.array(fc.record({ at: fc.nat(), p: policyArb, optional: fc.boolean() }), { maxLength: 2 }),
    budgets: fc.array(policyArb, { minLength: 4, maxLength: 4 }),
    deployAt: fc.nat({ max: 16 }),
    dropsV1: fc.boolean(),
    carefulMigration: fc.boolean(),
    outcomes: fc.array(fc.constantFrom<Outcome>('ok', 'ok', 'ok', 'transient', 'permanent', 'partial', 'lost'), { maxLength: 40 }),
  })
  .map(({ v1Steps, insertions, budgets, deployAt, dropsV1, carefulMigration, outcomes }) => {
    const v1Models = v1Steps.map((s, i) => stepModel(`s${i}`, s.p, s.optional, s.compensable));
    // Version 2 keeps version 1's steps (with new budgets) and inserts new ones anywhere.
    const v2Models = v1Models.map((m, i) => ({ ...m, retry: { ...m.retry, ...(budgets[i] ?? {}) } }));
    for (const [k, ins] of insertions.entries()) v2Models.splice(ins.at % (v2Models.length + 1), 0, stepModel(`new${k}`, ins.p, ins.optional, true));
    return {
      v1: { name: 'order', version: 1, steps: v1Models, checkpointEvery: 50 },
      v2: { name: 'order', version: 2, steps: v2Models, checkpointEvery: 50 },
      inserted: new Set(insertions.map((_, k) => `new${k}`)),
      deployAt,
      dropsV1,
      carefulMigration,
      outcomes,
    };
  });

/** What a user's migration returns: the identity, plus (when careful) inserted steps before the saga's position marked done. */
function upcast(c: Case, state: SagaState): MigrationResult {
  const snap = migrationSnapshot(state);
  const outputs: Record<string, unknown> = { ...snap.outputs };
  const skipped = [...snap.skipped];
  if (c.carefulMigration) {
    const reached = c.v2.steps.findLastIndex((m) => Object.hasOwn(outputs, m.name) || skipped.includes(m.name) || m.name === snap.current);
    for (const m of c.v2.steps.slice(0, reached + (snap.current === null ? 1 : 0))) {
      if (!c.inserted.has(m.name)) continue;
      if (m.optional) skipped.push(m.name);
      else outputs[m.name] = { backfilled: true };
    }
  }
  return { input: snap.input, outputs, skipped };
}

interface Run {
  events: SagaEvent[];
  /** Revisions after which a transition's events were appended (what a crash could leave). */
  boundaries: number[];
  /** Steps started, with the version the saga ran with then. */
  started: { step: string; version: number }[];
}

function run(c: Case): Run {
  const models: Record<number, SagaModel> = { 1: c.v1, 2: c.v2 };
  const events: SagaEvent[] = [
    sagaEvent('SagaStarted', { sagaId: 'saga-1', saga: 'order', version: 1, input: { n: 1 }, steps: stepShapes(c.v1), idempotencyKey: null, at: T0 }),
  ];
  const boundaries: number[] = [0];
  const started: Run['started'] = [];
  let state = fold(events) as SagaState;
  let now = T0;
  let worker = 1;
  let outcome = 0;
  let deployed = false;
  const append = (batch: SagaEvent[]): void => {
    if (batch.length === 0) return;
    events.push(...batch);
    state = fold(batch, state) as SagaState;
    boundaries.push(events.length - 1);
  };
  let input: Parameters<typeof transition>[2] = { type: 'Tick', now };
  for (let turn = 0; turn < 200 && !isTerminal(state); turn++) {
    if (turn >= c.deployAt) deployed = true;
    if (deployed && c.dropsV1 && state.version === 1 && input.type === 'Tick') {
      // What a worker with only version 2 (and the migration) does with this stream (versionUpgrade.ts).
      const blocker = migrationBlocker(state, now);
      if (blocker?.reason === 'lease') {
        now = blocker.until ?? now;
        input = { type: 'Tick', now };
        continue;
      }
      const made = blocker ? undefined : migrationEvent(state, c.v2, upcast(c, state), now);
      if (!made?.event) {
        const code = blocker ? 'DEFINITION_VERSION_NOT_REGISTERED' : 'MIGRATION_FAILED';
        append([sagaEvent('SagaFailed', { reason: blocker?.message ?? made?.problem ?? '', step: null, needsAttention: true, code, at: now })]);
        break;
      }
      append([made.event]);
    }
    const model = models[state.version] as SagaModel;
    const next = transition(model, state, input, { workerId: `w${worker}`, leaseMs: LEASE, random: 0.5 });
    append(next.events);
    const attempt = next.effects.find((e) => e.type === 'PerformAttempt');
    if (attempt) {
      if (attempt.phase === 'step') started.push({ step: attempt.step, version: state.version });
      now += 1;
      const o = c.outcomes[outcome++] ?? 'ok';
      if (o === 'lost') {
        // The worker dies: another takes the attempt over once its lease has run out.
        worker++;
        now = attempt.leaseUntil;
        input = { type: 'Tick', now };
      } else if (o === 'ok') {
        input = {
          type: 'AttemptSucceeded',
          phase: attempt.phase,
          step: attempt.step,
          attempt: attempt.attempt,
          output: { n: attempt.attempt },
          durationMs: 1,
          now,
        };
      } else {
        // Compensations only fail transiently here: a permanent one would park every run.
        const kind = attempt.phase === 'compensation' ? 'transient' : o;
        input = {
          type: 'AttemptFailed',
          phase: attempt.phase,
          step: attempt.step,
          attempt: attempt.attempt,
          kind,
          error: { name: 'E', code: 'E', message: o },
          durationMs: 1,
          now,
        };
      }
      continue;
    }
    const timers = next.effects.flatMap((e) => (e.type === 'SetTimer' ? [e.at] : []));
    now = timers.length > 0 ? Math.max(now + 1, Math.min(...timers)) : now + 1;
    input = { type: 'Tick', now };
  }
  return { events, boundaries, started };
}

describe('versioned definitions under random deploys (pure core)', () => {
  it(`a saga never changes version without a migration event, and every state is valid for the version it runs with (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { events } = run(c);
        expect(versionViolations(events)).toEqual([]);
        let state: SagaState | undefined;
        for (const [revision, event] of events.entries()) {
          state = fold([event], state) as SagaState;
          const model = state.version === 1 ? c.v1 : c.v2;
          expect(violations(state, model), `revision ${revision} (${event.type})`).toEqual([]);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`every append leaves a state that canContinue, and every run ends terminal (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { events, boundaries } = run(c);
        const states: SagaState[] = [];
        for (const event of events) states.push(fold([event], states.at(-1)) as SagaState);
        for (const revision of boundaries) {
          const s = states[revision] as SagaState;
          expect(canContinue(s.version === 1 ? c.v1 : c.v2, s, s.updatedAt), `revision ${revision} (${s.status})`).toBe(true);
        }
        expect(isTerminal(states.at(-1) as SagaState)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it(`a saga whose version stays registered finishes on it, running only its own steps; a migrated one runs only the new version's after the move (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { events, started } = run(c);
        const final = fold(events) as SagaState;
        const migrated = events.some((e) => e.type === 'SagaMigrated');
        if (!c.dropsV1) {
          expect(migrated).toBe(false);
          expect(final.version).toBe(1);
        }
        if (!migrated) expect(final.version).toBe(1);
        const names = (m: SagaModel) => new Set(m.steps.map((s) => s.name));
        for (const s of started) expect(names(s.version === 1 ? c.v1 : c.v2).has(s.step)).toBe(true);
        if (!migrated) expect(started.every((s) => s.version === 1)).toBe(true);
        // A careless migration either fits (nothing needed backfilling) or parks; a careful one never fails.
        // A careful migration fails only where the new budget is below the retry already scheduled.
        if (c.carefulMigration && final.failure?.code === 'MIGRATION_FAILED') expect(final.failure.message).toMatch(/scheduled, but version 2 allows/);
      }),
      { numRuns: RUNS },
    );
  });

  it('the generator is not vacuous: runs migrate and complete on version 2, park, and finish on version 1', () => {
    const seen = new Set<string>();
    for (const c of fc.sample(caseArb, { numRuns: 1_500, seed: 7 })) {
      const { events } = run(c);
      const final = fold(events) as SagaState;
      if (events.some((e) => e.type === 'SagaMigrated')) seen.add(`migrated-${final.status}`);
      if (final.failure?.code) seen.add(final.failure.code);
      if (final.version === 1 && final.status !== 'failed') seen.add('finished-v1');
    }
    expect([...seen]).toEqual(
      expect.arrayContaining(['migrated-completed', 'migrated-compensated', 'MIGRATION_FAILED', 'DEFINITION_VERSION_NOT_REGISTERED', 'finished-v1']),
    );
  });
});
