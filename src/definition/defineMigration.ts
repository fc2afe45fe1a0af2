/**
 * Declared migrations between definition versions: `defineMigration({ saga: orderV2, from: 1,
 * migrate })` moves a saga that runs with version 1 of `order` to version 2, upcasting its input
 * and step outputs (as Emmett's upcasters upcast events). The move itself is recorded as a
 * `SagaMigrated` event, so a replay needs no migration code. Validated here, at definition time.
 */
import { DefinitionError } from '../core/errors.js';
import type { MigrationResult, MigrationSnapshot } from '../core/migration.js';
import type { AnySagaDefinition, SagaDefinition, SagaOutputs } from './defineSaga.js';

/** The input a definition's steps see (its schema's output). */
export type SagaStepInput<TDefinition> = TDefinition extends SagaDefinition<infer TInput, infer _TOutputs, infer _TStartInput> ? TInput : never;

/** What `migrate` returns, typed by the version it migrates to. */
export interface MigrationUpcast<TTo extends AnySagaDefinition> {
  /** The input the new version's steps see; validated by its input schema. */
  input: SagaStepInput<TTo>;
  /** Outputs of the new version's steps that count as done, by step name; each validated by its step's `output` schema. */
  outputs: Partial<SagaOutputs<TTo>>;
  /** Optional steps of the new version that count as skipped. @default [] */
  skipped?: readonly (keyof SagaOutputs<TTo> & string)[];
}

/** The argument of {@link defineMigration}. */
export interface MigrationConfig<TTo extends AnySagaDefinition> {
  /** The definition the migration leads to (version `from + 1`). */
  saga: TTo;
  /** The version it moves sagas from: `saga.version - 1`. */
  from: number;
  /** The version it moves sagas to; when given, must equal `saga.version`. @default saga.version */
  to?: number;
  /**
   * Upcasts what the old version recorded into what the new version expects. Pure and
   * synchronous: it runs once, and its result is recorded in `SagaMigrated`. Without it, the
   * input and outputs carry over unchanged (the new version must then keep the old steps' names
   * as a prefix of its own).
   */
  migrate?(old: MigrationSnapshot): MigrationUpcast<TTo>;
}

/** A declared migration, as an engine registers it (`createEngine({ migrations: [...] })`). */
export interface SagaMigration {
  /** The saga's name. */
  readonly saga: string;
  /** The version it moves sagas from. */
  readonly from: number;
  /** The version it moves sagas to: `from + 1`. */
  readonly to: number;
  /** The definition of version `to`. */
  readonly target: AnySagaDefinition;
  /** The upcast (the identity when none was declared). */
  migrate(old: MigrationSnapshot): MigrationResult;
}

function identity(old: MigrationSnapshot): MigrationResult {
  return { input: old.input, outputs: old.outputs, skipped: old.skipped };
}

/**
 * Declares how sagas of version `from` move to the next version, `saga`. Register it with the
 * engine (`createEngine({ sagas: [orderV2], migrations: [orderV1ToV2] })`): a worker that meets
 * a saga of version `from` and no longer registers it migrates the saga (appending
 * `SagaMigrated`); `engine.migrate(sagaId)` does it on request.
 *
 * @throws {@link DefinitionError} (`DEFINITION_INVALID`) naming the field when `saga` is not a
 * definition, `from` is not `saga.version - 1`, `to` is not `saga.version`, or `migrate` is not a function.
 */
export function defineMigration<TTo extends AnySagaDefinition>(config: MigrationConfig<TTo>): SagaMigration {
  const target = config?.saga;
  if (!target || typeof target.step !== 'function' || !Array.isArray(target.steps))
    throw new DefinitionError('defineMigration: saga must be the definition the migration leads to (from defineSaga)', { details: { field: 'saga' } });
  const where = `migration of saga "${target.name}"`;
  if (target.version < 2)
    throw new DefinitionError(`${where}: saga must be a version >= 2 (a migration leads from the version before it)`, { details: { field: 'saga' } });
  if (config.from !== target.version - 1)
    throw new DefinitionError(
      `${where}: from must be ${target.version - 1} (the version before ${target.name}@${target.version}), got ${String(config.from)}`,
      {
        details: { field: 'from' },
      },
    );
  if (config.to !== undefined && config.to !== target.version)
    throw new DefinitionError(`${where}: to must be ${target.version} (the saga's version), got ${String(config.to)}`, { details: { field: 'to' } });
  if (config.migrate !== undefined && typeof config.migrate !== 'function')
    throw new DefinitionError(`${where}: migrate must be a function when given`, { details: { field: 'migrate' } });
  const migrate = (config.migrate as ((old: MigrationSnapshot) => MigrationResult) | undefined) ?? identity;
  return Object.freeze({ saga: target.name, from: config.from, to: target.version, target, migrate });
}
