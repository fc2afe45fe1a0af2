/**
 * Loads saga definitions from a user module for `resume` (and `verify --sagas`): the module
 * exports `sagas` (an array), a default array, or definitions as named exports.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnySagaDefinition } from '../definition/defineSaga.js';

function isDefinition(value: unknown): value is AnySagaDefinition {
  const v = value as Partial<AnySagaDefinition> | null;
  return typeof v === 'object' && v !== null && typeof v.name === 'string' && typeof v.step === 'function' && Array.isArray(v.steps);
}

/** The definitions a module exports, deduplicated by name@version (the first wins). */
export function definitionsOf(module: Record<string, unknown>): AnySagaDefinition[] {
  const candidates: unknown[] = Array.isArray(module['sagas']) ? module['sagas'] : Array.isArray(module['default']) ? module['default'] : Object.values(module);
  const found = new Map<string, AnySagaDefinition>();
  for (const c of candidates) if (isDefinition(c) && !found.has(`${c.name}@${c.version}`)) found.set(`${c.name}@${c.version}`, c);
  return [...found.values()];
}

/**
 * Imports `specifier` (a path, relative to the working directory, or a package name) and
 * returns its saga definitions. Throws when it exports none.
 */
export async function loadSagaDefinitions(specifier: string): Promise<AnySagaDefinition[]> {
  const isPath = specifier.startsWith('.') || isAbsolute(specifier);
  const url = isPath ? pathToFileURL(resolve(specifier)).href : specifier;
  const module = (await import(url)) as Record<string, unknown>;
  const definitions = definitionsOf(module);
  if (definitions.length === 0) {
    throw new Error(
      `${specifier} exports no saga definitions: export them as \`export const sagas = [defineSaga(...)...]\`, as a default array, or as named exports.`,
    );
  }
  return definitions;
}
