/**
 * sagaflow beside DBOS Transact and Restate, in one run (issue #7, item 6).
 *
 * One private PostgreSQL cluster with default durability (bench/benchCluster.ts) serves
 * sagaflow's PostgreSQL store and DBOS; SQLite is a file in a temp dir; Restate is its own
 * server (bench/peers/restateServer.ts). Each repetition runs every workload on every engine,
 * the engines in a rotated order, so noise on this shared machine hits all of them alike;
 * ratios are taken within the run. Then: raw append rates, and the commits, statements and WAL
 * flushes per saga on PostgreSQL. Everything started is stopped and removed at the end, on a
 * failure and on SIGINT/SIGTERM.
 *
 * Run: npx tsx bench/compare.ts [--quick] [--sagas N] [--reps N] [--appends N] [--no-peers]
 *   --quick: 100 sagas per run, 3 repetitions, about 2 minutes. Default: 1,000 sagas, 5 repetitions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureAppendRates } from './appendRates.js';
import { DBOS_DATABASE, SAGAFLOW_DATABASE, startBenchCluster, stopBenchCluster, type BenchCluster } from './benchCluster.js';
import { printSummary, printWorkloadTables, REFERENCE, type Sample } from './compareReport.js';
import type { Contender } from './contender.js';
import { describeMachine, loadAverage } from './machine.js';
import { sagaflowContenders } from './sagaflowContenders.js';
import { countPerSaga, type CountRow } from './statementCounts.js';
import { cleanupOnSignal, printTable, withTimeout } from './support.js';
import { timeWorkload, WORKLOADS } from './workloads.js';

export interface CompareOptions {
  quick: boolean;
  sagas: number;
  repetitions: number;
  appends: number;
  /** Sagas per counted run (statements per saga). */
  counted: number;
  peers: boolean;
}

export function compareOptions(argv: string[]): CompareOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      sagas: { type: 'string' },
      reps: { type: 'string' },
      appends: { type: 'string' },
      'no-peers': { type: 'boolean', default: false },
    },
    strict: false,
  });
  const quick = values.quick === true;
  const num = (v: unknown, fallback: number): number => (typeof v === 'string' ? Number(v) : fallback);
  const sagas = num(values.sagas, quick ? 100 : 1_000);
  return {
    quick,
    sagas,
    repetitions: num(values.reps, quick ? 3 : 5),
    appends: num(values.appends, quick ? 300 : 2_000),
    counted: Math.min(sagas, quick ? 50 : 200),
    peers: values['no-peers'] !== true,
  };
}

/** Starts the peers; a peer that cannot start is reported and left out, the others still run. */
async function startPeers(cluster: BenchCluster, notes: string[]): Promise<Contender[]> {
  const { ensurePeersInstalled } = await import('./peers/installPeers.js');
  await ensurePeersInstalled();
  const peers: Contender[] = [];
  const tryStart = async (name: string, start: () => Promise<Contender & { version?: string }>): Promise<void> => {
    try {
      const peer = await start();
      peers.push(peer);
      if (peer.version) notes.push(`${name}: ${peer.version}`);
    } catch (error) {
      notes.push(`${name}: NOT RUN — ${(error as Error).stack ?? String(error)}`);
      console.error(`\n${name} could not start and is left out:\n${(error as Error).stack ?? String(error)}`);
    }
  };
  await tryStart('DBOS Transact', async () => (await import('./peers/dbosPeer.js')).createDbosContender(cluster.dbosUrl));
  await tryStart('Restate', async () => (await import('./peers/restatePeer.js')).createRestateContender());
  return peers;
}

/** Resolves with a function that prints the summary table again (run.ts ends with it). */
export async function compare(options: CompareOptions): Promise<() => void> {
  const tempDir = mkdtempSync(join(tmpdir(), 'sagaflow-compare-'));
  let cluster: BenchCluster | undefined;
  const contenders: Contender[] = [];
  const cleanup = async (): Promise<void> => {
    for (const c of contenders.splice(0)) await withTimeout(c.close(), 20_000, `closing ${c.name}`).catch((e: unknown) => console.error(String(e)));
    if (cluster) await stopBenchCluster(cluster);
    cluster = undefined;
    rmSync(tempDir, { recursive: true, force: true });
  };
  let interrupted = false;
  const removeHandlers = cleanupOnSignal(async () => {
    interrupted = true; // the runs in flight now fail as their servers go: not worth reporting
    await cleanup();
  });
  const started = performance.now();
  try {
    cluster = await startBenchCluster();
    console.log(`\n## Machine\n\n\`\`\`\n${describeMachine(cluster.description)}\n\`\`\``);
    contenders.push(...sagaflowContenders(cluster.sagaflowUrl, tempDir));
    const notes: string[] = [];
    if (options.peers) contenders.push(...(await startPeers(cluster, notes)));
    if (notes.length) console.log(`\npeers:\n${notes.map((n) => `- ${n}`).join('\n')}`);
    console.log(
      `\n${options.quick ? 'QUICK mode: ' : ''}${options.sagas} sagas per run, ${options.repetitions} repetitions, engines in rotated order per repetition\n`,
    );

    const samples: Sample[] = [];
    const broken = new Set<string>();
    for (let rep = 1; rep <= options.repetitions; rep++) {
      const order = contenders.map((_, i) => contenders[(i + rep - 1) % contenders.length]!);
      for (const [w, workload] of WORKLOADS.entries()) {
        for (const [c, contender] of order.entries()) {
          if (broken.has(contender.name)) continue;
          try {
            await contender.prepare(`r${rep}_w${w}_c${c}`);
            const ms = await timeWorkload(contender, workload, options.sagas);
            samples.push({ workload: workload.id, contender: contender.name, repetition: rep, sagasPerSecond: (options.sagas / ms) * 1000 });
            console.log(
              `rep ${rep}/${options.repetitions}  ${workload.id.padEnd(27)} ${contender.name.padEnd(20)} ${((options.sagas / ms) * 1000).toFixed(1).padStart(8)} sagas/s  (load ${loadAverage()})`,
            );
          } catch (error) {
            if (interrupted) throw error;
            broken.add(contender.name);
            console.error(`\n${contender.name} failed on ${workload.id} (left out from here on):\n${(error as Error).stack ?? String(error)}`);
          } finally {
            await contender.finish().catch(() => {});
          }
        }
      }
    }
    const names = contenders.map((c) => c.name);
    printWorkloadTables(samples, WORKLOADS, names, options.sagas);

    const rates = await measureAppendRates(cluster.sagaflowUrl, tempDir, options.appends);
    printTable(`Raw append rate: one event per append, ${options.appends} appends per row (postgres store: its default pool of 10 connections)`, rates);

    const countRows: CountRow[] = [];
    const statementRows: CountRow[] = [];
    const counted: [string, string][] = [
      [REFERENCE, SAGAFLOW_DATABASE],
      ['DBOS Transact', DBOS_DATABASE],
    ];
    for (const [name, database] of counted) {
      const contender = contenders.find((c) => c.name === name);
      if (!contender || broken.has(name)) continue;
      const { rows, statements } = await countPerSaga(
        cluster.adminUrl,
        database,
        contender,
        WORKLOADS,
        options.counted,
        `count_${name === REFERENCE ? 'sf' : 'dbos'}`,
      );
      countRows.push(...rows);
      statementRows.push(...statements);
    }
    printTable(
      `PostgreSQL work per saga, counted by the server (${options.counted} sagas per count; pg_stat_database, pg_stat_statements, pg_stat_wal)`,
      countRows,
    );
    printTable(`Statements per saga by text, ${WORKLOADS[0]!.id} (pg_stat_statements)`, statementRows);

    const summary = (): void =>
      printSummary(
        samples,
        WORKLOADS,
        names,
        `Summary: median sagas/s over ${options.repetitions} repetitions of ${options.sagas} sagas; ratios sagaflow on PostgreSQL ÷ engine`,
      );
    summary();
    console.log(`\ncomparison done in ${((performance.now() - started) / 1000).toFixed(0)} s (load average now ${loadAverage()})`);
    return summary;
  } finally {
    removeHandlers();
    await cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await compare(compareOptions(process.argv.slice(2)));
