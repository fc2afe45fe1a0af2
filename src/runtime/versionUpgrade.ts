/**
 * What a worker does with a saga whose definition version it does not register: migrate it
 * forward along the declared migrations (one `SagaMigrated` per version), wait while a live
 * worker still holds its attempt, leave a newer version to workers that have it, or park it
 * naming the versions that are registered — never guess. Also what `engine.migrate` runs.
 * The decisions about state are core's (`migrationBlocker`, `migrationEvent`); this file runs
 * the user's `migrate` and the schemas, which core cannot.
 */
import { errorInfo } from '../core/classify.js';
import { DefinitionVersionNotRegisteredError, MigrationFailedError, MigrationNotApplicableError, type SagaError } from '../core/errors.js';
import type { SagaEvent } from '../core/events.js';
import { sagaEvent } from '../core/events.js';
import { fold } from '../core/evolve.js';
import { migrationBlocker, migrationEvent, migrationSnapshot, type MigrationResult } from '../core/migration.js';
import type { SagaState } from '../core/sagaState.js';
import type { AnySagaDefinition } from '../definition/defineSaga.js';
import type { SagaMigration } from '../definition/defineMigration.js';
import { describeIssue, validateWith } from '../definition/standardSchema.js';
import type { DefinitionRegistry } from './definitionRegistry.js';

/** What to do with a saga before `transition` can run it. */
export type VersionPlan =
  /** Append these events (a chain of SagaMigrated), then run the saga with `definition`. */
  | { type: 'migrate'; events: SagaEvent[]; definition: AnySagaDefinition }
  /** A live worker holds the saga's attempt: look again at `until`. */
  | { type: 'wait'; until: number; worker: string | undefined }
  /** Append the park (SagaFailed with `error.code`). */
  | { type: 'park'; events: SagaEvent[]; error: SagaError }
  /** Not this engine's to run (a newer version, or an unknown saga): leave it to workers that have it. */
  | { type: 'leave'; error: SagaError };

/** Runs one migration on `state`: its upcast, validated by the new version's schemas, as core's event. */
async function migrateOnce(migration: SagaMigration, state: SagaState, now: number): Promise<SagaEvent> {
  const target = migration.target;
  const where = `migration of saga ${state.sagaId} (${state.saga} ${migration.from} → ${migration.to})`;
  const fail = (message: string, cause?: unknown): never => {
    throw new MigrationFailedError(`${where} failed: ${message}. Fix the migration, deploy it, then resume the saga.`, {
      details: { sagaId: state.sagaId, saga: state.saga, from: migration.from, to: migration.to },
      ...(cause === undefined ? {} : { cause }),
    });
  };
  let result: MigrationResult;
  try {
    result = migration.migrate(migrationSnapshot(state));
  } catch (error) {
    return fail(`migrate threw ${errorInfo(error).name}: ${errorInfo(error).message}`, error);
  }
  if (typeof result !== 'object' || result === null || typeof result.outputs !== 'object' || result.outputs === null)
    return fail('migrate must return { input, outputs }');
  const input = await validateWith(target.input, result.input);
  if (input.issues) return fail(`the migrated input does not fit version ${migration.to}: ${input.issues.map(describeIssue).join('; ')}`);
  const outputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(result.outputs)) {
    const schema = target.steps.find((s) => s.name === name)?.output;
    const checked = schema ? await validateWith(schema, value) : { value };
    if (checked.issues)
      return fail(`the migrated output of step ${name} does not fit version ${migration.to}: ${checked.issues.map(describeIssue).join('; ')}`);
    outputs[name] = checked.value;
  }
  // Stored as JSON, as `start` stores the input and the runtime an output.
  const json = JSON.parse(JSON.stringify({ input: input.value ?? null, outputs })) as { input: unknown; outputs: Record<string, unknown> };
  const made = migrationEvent(state, target, { input: json.input, outputs: json.outputs, ...(result.skipped ? { skipped: result.skipped } : {}) }, now);
  return made.event ?? fail(made.problem);
}

/**
 * The events that move `state` along `chain`, one SagaMigrated per version.
 *
 * @throws {@link MigrationFailedError} (`MIGRATION_FAILED`) when a migration throws or its result does not fit.
 */
export async function migrationEvents(chain: readonly SagaMigration[], state: SagaState, now: number): Promise<SagaEvent[]> {
  const events: SagaEvent[] = [];
  let current = state;
  for (const migration of chain) {
    const event = await migrateOnce(migration, current, now);
    events.push(event);
    current = fold([event], current) as SagaState;
  }
  return events;
}

function park(error: SagaError, now: number): VersionPlan {
  return { type: 'park', error, events: [sagaEvent('SagaFailed', { reason: error.message, step: null, needsAttention: true, code: error.code, at: now })] };
}

/**
 * What a worker does with an unfinished saga whose version `registry` lacks; undefined when it
 * registers the version (the common case: no promise, no allocation, no store read).
 * `workerAliveUntil` reads what the store's liveness says of the worker whose attempt is in
 * flight; it is called only for a version that is missing.
 */
export function planVersion(
  registry: DefinitionRegistry,
  state: SagaState,
  now: number,
  workerAliveUntil: () => Promise<ReadonlyMap<string, number> | undefined>,
): Promise<VersionPlan> | undefined {
  if (registry.get(state.saga, state.version)) return undefined;
  return workerAliveUntil().then((alive) => planMissingVersion(registry, state, now, alive));
}

async function planMissingVersion(
  registry: DefinitionRegistry,
  state: SagaState,
  now: number,
  workerAliveUntil?: ReadonlyMap<string, number>,
): Promise<VersionPlan> {
  const latest = registry.latest(state.saga);
  // An unknown saga, or a version newer than ours (a rolling deploy): workers that have it run it.
  if (!latest || state.version > latest.version) return { type: 'leave', error: registry.missing(state.saga, state.version) };
  const blocker = migrationBlocker(state, now, workerAliveUntil);
  // A live worker still runs the attempt: it has the version, and records the outcome itself.
  if (blocker?.reason === 'lease') return { type: 'wait', until: blocker.until ?? now, worker: blocker.worker };
  const chain = registry.path(state.saga, state.version, latest.version);
  const registered = registry.versions(state.saga);
  if (!chain || blocker) {
    const why = !chain
      ? `no migration leads from version ${state.version} to ${latest.version} (declared: ${registry.declaredMigrations(state.saga).join(', ') || 'none'})`
      : `a migration exists, but ${blocker?.message}`;
    return park(
      new DefinitionVersionNotRegisteredError(
        `Saga ${state.sagaId} runs with ${state.saga}@${state.version}, which this engine does not register (registered versions of ${state.saga}: ${registered.join(', ')}), and ${why}. Parked instead of guessing: register ${state.saga}@${state.version}${chain ? '' : ` or declare a migration from it (defineMigration)`}, then resume the saga.`,
        { details: { sagaId: state.sagaId, saga: state.saga, version: state.version, registered } },
      ),
      now,
    );
  }
  try {
    return { type: 'migrate', events: await migrationEvents(chain, state, now), definition: latest };
  } catch (error) {
    if (error instanceof MigrationFailedError) return park(error, now);
    throw error;
  }
}

/**
 * What `engine.migrate` appends: the chain from the saga's version to `to`.
 *
 * @throws {@link MigrationNotApplicableError} (`MIGRATION_NOT_APPLICABLE`) when no path leads there, the saga is not running, or a live worker holds its attempt.
 * @throws {@link MigrationFailedError} (`MIGRATION_FAILED`) when a migration throws or its result does not fit.
 */
export async function explicitMigration(
  registry: DefinitionRegistry,
  state: SagaState,
  to: number,
  now: number,
  workerAliveUntil?: ReadonlyMap<string, number>,
): Promise<SagaEvent[]> {
  const details = { sagaId: state.sagaId, saga: state.saga, version: state.version };
  const chain = registry.path(state.saga, state.version, to);
  if (!chain) {
    throw new MigrationNotApplicableError(
      `Saga ${state.sagaId} (${state.saga}@${state.version}) cannot move to version ${to}: no declared migrations lead there (declared: ${registry.declaredMigrations(state.saga).join(', ') || 'none'}). Nothing was appended.`,
      { details: { ...details, reason: 'no-path' } },
    );
  }
  if (chain.length === 0) return [];
  const blocker = migrationBlocker(state, now, workerAliveUntil);
  if (blocker) {
    const retry = blocker.reason === 'lease' ? '; try again once the attempt has an outcome' : '';
    throw new MigrationNotApplicableError(`Saga ${state.sagaId} cannot be migrated now: ${blocker.message}${retry}. Nothing was appended.`, {
      details: { ...details, reason: blocker.reason, ...(blocker.until === undefined ? {} : { until: blocker.until }) },
    });
  }
  return migrationEvents(chain, state, now);
}
