/**
 * RTO of a crashed worker: from the SIGKILL of a worker process that is running sagas to the
 * first event another worker appends to each saga it had in flight. On SQLite and PostgreSQL
 * the store sees the process die (its PID; its session's advisory lock), so the takeover does
 * not wait for the lease (default 750 ms); a hung worker (SIGSTOP) is caught by the expiry of
 * its liveness record, within the lease.
 *
 * Per round: a victim `sagaflow worker` child process runs K sagas of four 50–400 ms steps,
 * started by a client engine; once every saga has a first attempt running, a surviving worker
 * engine starts in this process (it resumes the sagas: waits on the victim's liveness and
 * follows its appends); after a random 0–400 ms we SIGKILL (or, in the hang rounds, SIGSTOP)
 * the victim and note the time. Each saga the victim had in flight at its death (told by
 * folding its stream up to the survivor's first later event) is one sample: the time from the
 * signal to that event's durable append, seen through the survivor's `events$` (same process,
 * same monotonic clock). Rounds repeat with a fresh victim until the target number of kills
 * (and of samples) is reached, on SQLite (a temp file) and PostgreSQL (a private cluster).
 * Run: npx tsx bench/recoveryTime.ts [kills=100] [sagasPerRound=5] [leaseMs=default] [hangs=20]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, fold } from '../src/index.js';
import type { Engine, EventStore } from '../src/index.js';
import { parseRecorded, sagaStreamId } from '../src/runtime/sagaStream.js';
import { createPostgresEventStore } from '../src/stores/postgres/index.js';
import { createSqliteEventStore } from '../src/stores/sqlite/index.js';
import { destroyPostgresServer, startPostgresServer, type PostgresServerInfo } from '../test/support/postgresServer.js';
import { sagas } from './recoverySagas.js';
import { cleanupOnSignal, printTable, sleep, summary, waitFor, withTimeout } from './support.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Sample {
  /** Kill → the survivor's first event of the saga, durable. */
  rtoMs: number;
  /** The victim's lease on the attempt, left at the kill (leaseUntil − kill, wall clock). */
  leaseLeftMs: number;
}

interface Round {
  victimId: string;
  killedAt?: number;
  killedWall?: number;
  firstAfterKill: Map<string, { revision: number; at: number }>;
}

export interface RecoveryResult {
  store: string;
  /** SIGKILL: the worker died; SIGSTOP: it hangs without dying. */
  signal: 'SIGKILL' | 'SIGSTOP';
  samples: Sample[];
  rounds: number;
  sagas: number;
  notCompleted: number;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts `sagaflow worker` as a child process; resolves when it printed "worker ready". */
function spawnVictim(url: string, workerId: string, leaseMs: number | undefined): Promise<ChildProcess> {
  const lease = leaseMs === undefined ? [] : ['--lease-ms', String(leaseMs)];
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--store', url, '--sagas', './bench/recoverySagas.ts', '--worker-id', workerId, ...lease];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SAGAFLOW_LOG_LEVEL: 'warn' } });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + String(chunk)).slice(-4_000)));
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`victim worker ${why}:\n${stderr}`));
    };
    const timer = setTimeout(() => fail('not ready after 30 s'), 30_000);
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal}) before it was ready`));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (!String(chunk).includes('worker ready')) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.once('exit', () => live.delete(child));
      resolve(child);
    });
  });
}

async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** True once a worker took the saga up (its last event is not the client's SagaStarted). */
async function taken(store: EventStore, sagaId: string): Promise<boolean> {
  const [last] = await store.readStream(sagaStreamId(sagaId), { direction: 'backwards', maxCount: 1 });
  return last !== undefined && last.type !== 'SagaStarted';
}

/** `rounds` victims, each signalled once with `signal`; every saga it had in flight is a sample. */
async function runRounds(
  label: string,
  url: string,
  open: () => Promise<EventStore>,
  rounds: number,
  perRound: number,
  leaseMs: number | undefined,
  signal: 'SIGKILL' | 'SIGSTOP',
): Promise<RecoveryResult> {
  const [survivorStore, clientStore] = [await open(), await open()];
  const client = await createEngine({ store: clientStore, sagas, runSagas: false, workerId: 'client' });
  const result: RecoveryResult = { store: label, signal, samples: [], rounds: 0, sagas: 0, notCompleted: 0 };
  const tag = signal === 'SIGKILL' ? 'victim' : 'hung';
  let victim: ChildProcess | undefined;
  let survivor: Engine | undefined;
  try {
    while (result.rounds < rounds) {
      const current: Round = { victimId: `${tag}-${++result.rounds}`, firstAfterKill: new Map() };
      victim = await spawnVictim(url, current.victimId, leaseMs);
      const ids = (await Promise.all(Array.from({ length: perRound }, (_, i) => client.start('rto', { i })))).map((s) => s.sagaId);
      result.sagas += ids.length;
      await waitFor(async () => (await Promise.all(ids.map((id) => taken(clientStore, id)))).every(Boolean), 10_000, 'sagas did not start');
      // The survivor joins once the victim holds the sagas (as a worker, it would otherwise win
      // most of the races for new sagas): it resumes them, i.e. waits on the victim's leases,
      // and follows the victim's appends through its subscription.
      survivor = await createEngine({
        store: survivorStore,
        sagas,
        workerId: `survivor-${tag}-${result.rounds}`,
        ...(leaseMs === undefined ? {} : { leaseMs }),
      });
      await survivor.startWorker();
      survivor.events$.subscribe((e) => {
        const at = performance.now();
        if (current.killedAt !== undefined && !current.firstAfterKill.has(e.sagaId)) current.firstAfterKill.set(e.sagaId, { revision: e.revision, at });
      });
      await sleep(Math.random() * 400); // a random point of the running attempts
      current.killedWall = Date.now();
      current.killedAt = performance.now();
      if (signal === 'SIGKILL') await killed(victim);
      else victim.kill('SIGSTOP');
      const results = await withTimeout(
        Promise.all(ids.map((id) => client.result(id, { pollMs: 25 }))),
        60_000,
        `${label}: round ${result.rounds} did not finish`,
      );
      result.notCompleted += results.filter((r) => r.status !== 'completed').length;
      for (const id of ids) {
        const first = current.firstAfterKill.get(id);
        if (!first) continue; // the victim finished it before it died
        const before = (await clientStore.readStream(sagaStreamId(id))).filter((e) => e.revision < first.revision);
        const inFlight = fold(before.map(parseRecorded))?.inFlight;
        if (inFlight?.worker !== current.victimId) continue;
        result.samples.push({ rtoMs: first.at - current.killedAt, leaseLeftMs: inFlight.leaseUntil - current.killedWall });
      }
      await survivor.close({ graceMs: 1_000 });
      survivor = undefined;
      await killed(victim);
    }
  } finally {
    if (victim) await killed(victim);
    await survivor?.close({ graceMs: 1_000 });
    await client.close();
    await survivorStore.close();
    await clientStore.close();
  }
  return result;
}

/** `leaseMs` undefined: neither worker is told a lease, both use the default (750 ms). */
export async function recoveryTime(kills = 100, perRound = 5, leaseMs?: number, hangs = 20): Promise<RecoveryResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sagaflow-rto-'));
  let pg: PostgresServerInfo | undefined;
  const cleanup = async (): Promise<void> => {
    for (const child of live) child.kill('SIGKILL');
    if (pg) await destroyPostgresServer(pg);
    pg = undefined;
    rmSync(dir, { recursive: true, force: true });
  };
  const removeHandlers = cleanupOnSignal(cleanup);
  const results: RecoveryResult[] = [];
  try {
    const file = join(dir, 'rto.db');
    const sqlite = async (): Promise<EventStore> => createSqliteEventStore({ path: file });
    results.push(await runRounds('sqlite (WAL, FULL)', `sqlite:${file}`, sqlite, kills, perRound, leaseMs, 'SIGKILL'));
    if (hangs > 0) results.push(await runRounds('sqlite (WAL, FULL)', `sqlite:${file}`, sqlite, hangs, perRound, leaseMs, 'SIGSTOP'));
    pg = await startPostgresServer();
    const url = pg.url;
    const postgres = (): Promise<EventStore> => createPostgresEventStore({ connectionString: url });
    results.push(await runRounds('postgres (private cluster)', url, postgres, kills, perRound, leaseMs, 'SIGKILL'));
    if (hangs > 0) results.push(await runRounds('postgres (private cluster)', url, postgres, hangs, perRound, leaseMs, 'SIGSTOP'));
  } finally {
    removeHandlers();
    await cleanup();
  }
  printRecovery(results, leaseMs ?? 750);
  return results;
}

function printRecovery(results: RecoveryResult[], lease: number): void {
  const what = (r: RecoveryResult): string => (r.signal === 'SIGKILL' ? 'SIGKILL (death)' : 'SIGSTOP (hang)');
  printTable(
    `Recovery time after a worker dies or hangs (lease ${lease} ms${lease === 750 ? ', the default' : ''}): signal → first event by the survivor`,
    results.map((r) => {
      const s = summary(r.samples.map((x) => x.rtoMs));
      const goal = r.signal === 'SIGKILL' ? s.p99 < 100 : s.max <= lease + 50;
      return {
        store: r.store,
        signal: what(r),
        signals: r.rounds,
        samples: r.samples.length,
        'p50 ms': s.p50,
        'p99 ms': s.p99,
        'max ms': s.max,
        'lease ms': lease,
        goal: r.signal === 'SIGKILL' ? `p99 < 100 ms: ${goal ? 'yes' : 'NO'}` : `max ≤ lease + 50 ms: ${goal ? 'yes' : 'NO'}`,
      };
    }),
  );
  printTable(
    'The lease left at the signal (a death no longer waits for it)',
    results.map((r) => {
      const left = summary(r.samples.map((x) => x.leaseLeftMs));
      const min = Math.round(Math.min(...r.samples.map((x) => x.leaseLeftMs)));
      const early = r.samples.filter((x) => x.rtoMs < x.leaseLeftMs).length;
      return {
        store: r.store,
        signal: what(r),
        sagas: r.sagas,
        'lease left min/p50/max ms': `${min} / ${left.p50} / ${left.max}`,
        'taken over before the lease ran out': `${early} of ${r.samples.length}`,
        'not completed': r.notCompleted,
      };
    }),
  );
}

if (import.meta.url === `file://${process.argv[1]}`)
  await recoveryTime(
    Number(process.argv[2] ?? 100),
    Number(process.argv[3] ?? 5),
    process.argv[4] ? Number(process.argv[4]) : undefined,
    Number(process.argv[5] ?? 20),
  );
