/**
 * A private, throw-away PostgreSQL cluster for integration tests: `initdb` into a temp dir,
 * `pg_ctl start` on a free 127.0.0.1 port, torn down afterwards. Used by the vitest
 * globalSetup (one shared cluster) and by tests that need a cluster of their own (the
 * restart test, which must not pull the server from under other test files).
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findPostgresBinaries, postgresUser, type PostgresBinaries } from './postgresBinaries.js';

export { describePostgresBinaries, findPostgresBinaries, type PostgresBinaries } from './postgresBinaries.js';

const run = promisify(execFile);

/** Password of the test superuser: non-empty, so tests can check that errors never print it. */
export const TEST_PASSWORD = 'sagaflow-test-secret';

/** Everything needed to reach, stop and restart a private cluster (serialisable for `provide`). */
export interface PostgresServerInfo {
  /** postgres://postgres:<password>@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** The temp dir holding `data/`, the socket and the log. */
  baseDir: string;
  dataDir: string;
  pgCtl: string;
  /** True when commands must run as the `postgres` user (we are root: initdb refuses root). */
  runAsPostgres: boolean;
  /** Where initdb/pg_ctl/postgres came from and their version. */
  binaries: PostgresBinaries;
}

/** A server tool of the binaries `SAGAFLOW_PG` chooses (postgresBinaries.ts); fails with the fix when there are none. */
export function findPostgresBinary(name: 'initdb' | 'pg_ctl' | 'postgres'): string {
  return join(findPostgresBinaries().binDir, name);
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Runs a PostgreSQL tool, as the `postgres` user when we are root (initdb and postgres refuse root). */
export async function runTool(info: Pick<PostgresServerInfo, 'runAsPostgres'>, binary: string, args: string[]): Promise<string> {
  const [file, argv] = info.runAsPostgres ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
  try {
    const { stdout } = await run(file, argv, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${binary} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: error });
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function logTail(info: PostgresServerInfo): string {
  const log = join(info.baseDir, 'server.log');
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-30).join('\n') : '(no server log)';
}

/** Options of {@link startPostgresServer}; the defaults give the fast, non-durable test cluster. */
export interface PostgresServerOptions {
  /**
   * Keep PostgreSQL's default durability (fsync, synchronous_commit, full_page_writes on), as a
   * production server has: the benchmarks use it so a commit includes its WAL flush. @default false
   */
  durable?: boolean;
  /** Further `postgresql.conf` lines, e.g. `shared_preload_libraries = 'pg_stat_statements'`. @default [] */
  settings?: readonly string[];
}

/** Creates and starts a new private cluster. */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServerInfo> {
  const binaries = findPostgresBinaries();
  const initdb = join(binaries.binDir, 'initdb');
  const pgCtl = join(binaries.binDir, 'pg_ctl');
  const runAsPostgres = isRoot();
  const baseDir = mkdtempSync(join(tmpdir(), 'sagaflow-pg-'));
  const dataDir = join(baseDir, 'data');
  const pwFile = join(baseDir, 'pw');
  writeFileSync(pwFile, `${TEST_PASSWORD}\n`);
  if (runAsPostgres) {
    // Root cannot run initdb; the postgres user must own the cluster dir and read the password file.
    const { uid, gid } = postgresUser();
    chownSync(baseDir, uid, gid);
    chownSync(pwFile, uid, gid);
  }
  const port = await freePort();
  const info: PostgresServerInfo = {
    url: `postgres://postgres:${encodeURIComponent(TEST_PASSWORD)}@127.0.0.1:${port}/postgres`,
    port,
    baseDir,
    dataDir,
    pgCtl,
    runAsPostgres,
    binaries,
  };
  await runTool(info, initdb, [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--pwfile',
    pwFile,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--encoding=UTF8',
    '--no-instructions',
    '--no-sync',
  ]);
  // Test-only settings unless `durable`: durability is irrelevant for a throw-away cluster, speed is not.
  const fast = options.durable ? [] : ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off'];
  const conf = [
    `port = ${port}`,
    `listen_addresses = '127.0.0.1'`,
    `unix_socket_directories = '${baseDir}'`,
    'max_connections = 300',
    ...fast,
    `log_min_messages = warning`,
    ...(options.settings ?? []),
  ].join('\n');
  writeFileSync(join(dataDir, 'postgresql.auto.conf'), `${conf}\n`, { flag: 'a' });
  await startExisting(info);
  return info;
}

async function startExisting(info: PostgresServerInfo): Promise<void> {
  try {
    await runTool(info, info.pgCtl, ['-D', info.dataDir, '-l', join(info.baseDir, 'server.log'), '-w', '-t', '60', 'start']);
  } catch (error) {
    throw new Error(`${(error as Error).message}\nserver log:\n${logTail(info)}`, { cause: error });
  }
}

/** Stops the server (fast shutdown: clients are disconnected, like a real outage). */
export async function stopPostgresServer(info: PostgresServerInfo): Promise<void> {
  await runTool(info, info.pgCtl, ['-D', info.dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
}

/** Starts a stopped server again on the same port and data dir. */
export async function resumePostgresServer(info: PostgresServerInfo): Promise<void> {
  await startExisting(info);
}

/** `pg_ctl restart -m fast`: every connection is dropped, the data survives. */
export async function restartPostgresServer(info: PostgresServerInfo): Promise<void> {
  await runTool(info, info.pgCtl, ['-D', info.dataDir, '-l', join(info.baseDir, 'server.log'), '-m', 'fast', '-w', '-t', '60', 'restart']);
}

/** Stops the server (if running) and deletes its directory. */
export async function destroyPostgresServer(info: PostgresServerInfo): Promise<void> {
  try {
    await runTool(info, info.pgCtl, ['-D', info.dataDir, '-m', 'immediate', '-w', '-t', '60', 'stop']);
  } catch {
    // Already stopped: nothing to do but delete the directory.
  }
  rmSync(info.baseDir, { recursive: true, force: true });
}
