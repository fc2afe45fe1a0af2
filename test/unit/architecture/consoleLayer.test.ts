/**
 * The console's place in the layers: only src/console/ imports the HTTP framework, and the
 * root export never loads the console (a library user who embeds the engine gets no server).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve('src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm), ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (m) => m[1] as string,
  );
}

/** Every project file `entry` loads, following relative imports. */
function closure(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of imports(file)) if (spec.startsWith('.')) visit(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
  };
  visit(entry);
  return seen;
}

describe('the console in the layers', () => {
  it('hono and @hono/node-server are imported by src/console/ only', () => {
    const offenders = files(SRC).flatMap((file) =>
      imports(file)
        .filter((spec) => spec === 'hono' || spec.startsWith('hono/') || spec.startsWith('@hono/'))
        .filter(() => !relative(SRC, file).startsWith('console/'))
        .map((spec) => `${relative(SRC, file)} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the root export (src/index.ts) loads nothing of the console', () => {
    const loaded = [...closure(join(SRC, 'index.ts'))].map((f) => relative(SRC, f));
    expect(loaded.filter((f) => f.startsWith('console/') || f === 'cli/uiCommand.ts')).toEqual([]);
  });
});
