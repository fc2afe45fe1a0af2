/**
 * The definitions and migrations one engine registers: several versions of a saga side by
 * side (`sagas: [orderV1, orderV2]`), the newest for new sagas, and the chain of declared
 * migrations from an old version to the newest.
 */
import { DefinitionError, DefinitionVersionNotRegisteredError, UnknownSagaError } from '../core/errors.js';
import type { AnySagaDefinition } from '../definition/defineSaga.js';
import { assertRunnable } from '../definition/defineSaga.js';
import type { SagaMigration } from '../definition/defineMigration.js';
import { asChildDefinition, childStepsOf } from '../definition/childStep.js';
import type { ParentLink } from '../core/events.js';

/** Definitions by name and version, and migrations by name and `from`. */
export class DefinitionRegistry {
  private readonly byKey = new Map<string, AnySagaDefinition>();
  /** The same definitions by name, then version: `get` runs twice per loop turn of every drive, and a key string per call showed in profiles. */
  private readonly byNameVersion = new Map<string, Map<number, AnySagaDefinition>>();
  private readonly newest = new Map<string, AnySagaDefinition>();
  private readonly migrations = new Map<string, SagaMigration>();

  /**
   * Registers a definition; the newest version of a name is the one `start` uses by name.
   *
   * @throws {@link DefinitionError} (`DEFINITION_INVALID`) for a definition without steps or a value that is not one.
   */
  register(definition: AnySagaDefinition): void {
    assertRunnable(definition);
    this.byKey.set(`${definition.name}@${definition.version}`, definition);
    const versions = this.byNameVersion.get(definition.name) ?? new Map<number, AnySagaDefinition>();
    this.byNameVersion.set(definition.name, versions.set(definition.version, definition));
    const current = this.newest.get(definition.name);
    if (!current || current.version < definition.version) this.newest.set(definition.name, definition);
  }

  /**
   * Registers a migration. Call after the definitions: its target must be registered.
   *
   * @throws {@link DefinitionError} (`DEFINITION_INVALID`) when its target version is not registered, or another migration has the same `from`.
   */
  registerMigration(migration: SagaMigration): void {
    const key = `${migration.saga}@${migration.from}`;
    if (this.byKey.get(`${migration.saga}@${migration.to}`) !== migration.target) {
      throw new DefinitionError(
        `migration ${migration.saga} ${migration.from} → ${migration.to}: register its target definition ${migration.saga}@${migration.to} in sagas: [...] too`,
        { details: { field: 'migrations', saga: migration.saga } },
      );
    }
    const existing = this.migrations.get(key);
    if (existing && existing !== migration)
      throw new DefinitionError(`two migrations of saga "${migration.saga}" from version ${migration.from}: declare one`, {
        details: { field: 'migrations', saga: migration.saga },
      });
    this.migrations.set(key, migration);
  }

  /** The definition of `name@version`, undefined when not registered. */
  get(name: string, version: number): AnySagaDefinition | undefined {
    return this.byNameVersion.get(name)?.get(version);
  }

  /** The newest registered version of `name`, undefined when none is. */
  latest(name: string): AnySagaDefinition | undefined {
    return this.newest.get(name);
  }

  /** The registered versions of `name`, ascending. */
  versions(name: string): number[] {
    return [...this.byKey.values()]
      .filter((d) => d.name === name)
      .map((d) => d.version)
      .sort((a, b) => a - b);
  }

  /** The declared migrations of `name` as `from → to`, ascending. */
  declaredMigrations(name: string): string[] {
    return [...this.migrations.values()]
      .filter((m) => m.saga === name)
      .sort((a, b) => a.from - b.from)
      .map((m) => `${m.from} → ${m.to}`);
  }

  /**
   * The migrations that lead `name` from `from` to `to`, one per version, or undefined when a
   * link is missing (an empty list when `from === to`).
   */
  path(name: string, from: number, to: number): SagaMigration[] | undefined {
    const chain: SagaMigration[] = [];
    for (let v = from; v < to; v++) {
      const m = this.migrations.get(`${name}@${v}`);
      if (!m) return undefined;
      chain.push(m);
    }
    return from <= to ? chain : undefined;
  }

  /** Every registered `name@version`, for messages. */
  describe(): string {
    return [...this.byKey.keys()].join(', ') || 'none';
  }

  /**
   * The definition a stream's saga runs with.
   *
   * @throws {@link UnknownSagaError} (`SAGA_UNKNOWN`) when no version of the name is registered.
   * @throws {@link DefinitionVersionNotRegisteredError} (`DEFINITION_VERSION_NOT_REGISTERED`) when other versions are.
   */
  require(name: string, version: number): AnySagaDefinition {
    const definition = this.get(name, version);
    if (definition) return definition;
    throw this.missing(name, version);
  }

  /**
   * The definition a saga's state runs with: a saga started as a child (`parent` set) runs its
   * definition followed by the verdict steps (childStep.ts); any other runs it as registered.
   *
   * @throws as {@link require}.
   */
  forState(state: { saga: string; version: number; parent?: ParentLink }): AnySagaDefinition {
    const definition = this.require(state.saga, state.version);
    return state.parent ? asChildDefinition(definition, state.parent.verdictTimeoutMs) : definition;
  }

  /** As {@link forState}, undefined when the definition is not registered. */
  findForState(state: { saga: string; version: number; parent?: ParentLink }): AnySagaDefinition | undefined {
    return this.get(state.saga, state.version) ? this.forState(state) : undefined;
  }

  /**
   * Checks that the child saga of every `.child` step is registered too, as the very version given.
   *
   * @throws {@link DefinitionError} (`DEFINITION_INVALID`) naming the parent, the step and the missing child.
   */
  assertChildrenRegistered(): void {
    for (const definition of this.byKey.values()) {
      for (const step of childStepsOf(definition)) {
        const child = step.child?.saga;
        if (!child || this.get(child.name, child.version) === child) continue;
        throw new DefinitionError(
          `saga "${definition.name}" step "${step.name}": its child saga "${child.name}" version ${child.version} is not registered on this engine; add it to createEngine({ sagas: [...] }) (registered: ${this.describe()})`,
          { details: { field: 'sagas', saga: definition.name, step: step.name, child: child.name } },
        );
      }
    }
  }

  /** The error that says `name@version` is not registered, naming the versions that are. */
  missing(name: string, version: number): UnknownSagaError | DefinitionVersionNotRegisteredError {
    const versions = this.versions(name);
    if (versions.length === 0) {
      return new UnknownSagaError(
        `No definition registered for saga ${name}@${version}. Register it with createEngine({ sagas: [...] }); known: ${this.describe()}.`,
        {
          details: { saga: name, version },
        },
      );
    }
    return new DefinitionVersionNotRegisteredError(
      `Saga ${name} version ${version} is not registered on this engine (registered versions of ${name}: ${versions.join(', ')}). Register ${name}@${version} with createEngine({ sagas: [...] }), or declare a migration from it.`,
      { details: { saga: name, version, registered: versions } },
    );
  }
}
