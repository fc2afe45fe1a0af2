/**
 * The dependency rule of the style guide, enforced: core imports nothing of the project and
 * no I/O; definition only core (and zod); runtime only core, definition and the ports; the
 * root export loads no database driver.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
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

function projectTarget(file: string, specifier: string): string | undefined {
  return specifier.startsWith('.') ? relative(SRC, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts') : undefined;
}

function violations(layer: string, allowed: (target: string) => boolean, allowedPackages: string[]): string[] {
  return files(join(SRC, layer)).flatMap((file) =>
    imports(file)
      .filter((spec) => {
        const target = projectTarget(file, spec);
        if (target !== undefined) return !allowed(target);
        return !allowedPackages.some((p) => spec === p || spec.startsWith(`${p}/`));
      })
      .map((spec) => `${relative(SRC, file)} imports ${spec}`),
  );
}

describe('layers (style guide dependency rule)', () => {
  it('core imports only core and zod: no I/O, no clock, no ids, no rxjs', () => {
    expect(violations('core', (t) => t.startsWith('core/'), ['zod'])).toEqual([]);
    const text = files(join(SRC, 'core'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    expect(text).not.toMatch(/Date\.now\(|new Date\(|Math\.random\(/);
  });

  it('definition imports only core, definition and zod', () => {
    expect(violations('definition', (t) => t.startsWith('core/') || t.startsWith('definition/'), ['zod'])).toEqual([]);
  });

  it('runtime imports only core, definition, the store and logger ports, and rxjs/uuid', () => {
    const ports = ['stores/eventStore.ts', 'observability/logger.ts', 'observability/telemetry.ts'];
    expect(
      violations('runtime', (t) => t.startsWith('core/') || t.startsWith('definition/') || t.startsWith('runtime/') || ports.includes(t), [
        'rxjs',
        'uuid',
        'node:os',
        'node:events',
        'node:crypto',
      ]),
    ).toEqual([]);
  });

  it('store adapters know nothing of sagas: nothing under stores/ imports the saga event types', () => {
    // The runtime tells a store which streams are open through a planner (openStreamIndex.ts).
    const offenders = files(join(SRC, 'stores')).flatMap((file) =>
      imports(file)
        .filter((spec) => projectTarget(file, spec) === 'core/events.ts')
        .map((spec) => `${relative(SRC, file)} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('each database client is imported by its own adapter folder only', () => {
    const clients: Record<string, string> = {
      'better-sqlite3': 'stores/sqlite/',
      pg: 'stores/postgres/',
      '@eventstore/db-client': 'stores/esdb/',
      '@kurrent/kurrentdb-client': 'stores/esdb/',
      '@kurrent/bridge': 'stores/esdb/',
      // The OpenTelemetry API (an optional peer) is the sagaflow/otel adapter's only.
      '@opentelemetry/api': 'observability/otel/',
    };
    const offenders = files(SRC).flatMap((file) =>
      imports(file)
        .filter((spec) => Object.keys(clients).some((c) => spec === c || spec.startsWith(`${c}/`)))
        .filter(
          (spec) => !relative(SRC, file).startsWith(clients[Object.keys(clients).find((c) => spec === c || spec.startsWith(`${c}/`)) as string] as string),
        )
        .map((spec) => `${relative(SRC, file)} imports ${spec}`),
    );
    expect(offenders.filter((o) => !o.startsWith('testing/esdb'))).toEqual([]);
  });

  it('inside the EventStoreDB adapter, each client package is imported by its compat file only', () => {
    const owners: Record<string, string> = {
      '@eventstore/db-client': 'stores/esdb/clientCompat.ts',
      '@kurrent/kurrentdb-client': 'stores/esdb/clientCompat.kurrent.ts',
      '@kurrent/bridge': 'stores/esdb/clientCompat.kurrent.ts',
    };
    const importers = files(join(SRC, 'stores/esdb')).flatMap((file) =>
      imports(file).flatMap((spec) => {
        const owned = Object.keys(owners).find((p) => spec === p || spec.startsWith(`${p}/`));
        return owned === undefined ? [] : [`${relative(SRC, file)} imports ${owned}`];
      }),
    );
    // clientApi.ts's loadClient imports each package before its compat file, only so that a missing install is one typed error.
    expect(importers.sort()).toEqual([
      'stores/esdb/clientApi.ts imports @eventstore/db-client',
      'stores/esdb/clientApi.ts imports @kurrent/kurrentdb-client',
      'stores/esdb/clientCompat.kurrent.ts imports @kurrent/kurrentdb-client',
      'stores/esdb/clientCompat.ts imports @eventstore/db-client',
    ]);
  });
});
