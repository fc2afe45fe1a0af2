/**
 * `npm run bench`: the comparison with DBOS Transact and Restate (bench/compare.ts), then, in
 * the full mode, the recovery benchmarks. `npm run bench -- --quick`: the comparison only,
 * small (about 2 minutes). Each bench starts (and removes) its own temp files, servers and
 * private PostgreSQL cluster. Each also runs alone:
 *   npx tsx bench/compare.ts [--quick] [--sagas N] [--reps N] [--appends N] [--no-peers]
 *   npx tsx bench/recoveryTime.ts [samples] [sagasPerRound]
 *   npx tsx bench/restartRecovery.ts [sagas] [concurrencies]
 *   npx tsx bench/startupOverFinished.ts [finished=100000,1000000] [stores=sqlite,postgres]   (start-up over finished sagas)
 *   npx tsx bench/failover.ts [rounds]   (PostgreSQL failover RTO, a synchronous standby promoted)
 *   npx tsx bench/sagaThroughput.ts [sagas]   (the earlier, non-durable throughput table)
 *   npx tsx bench/soak.ts [sagas=200000] [every=20000]   (heap after GC under sustained load)
 *   npx tsx bench/foldThroughput.ts [events] [rounds]
 * Run: npx tsx bench/run.ts [--quick] [compare options] [--recovery-samples 100] [--restart-sagas 10000] [--failover-rounds 8]
 */
import { parseArgs } from 'node:util';
import { compare, compareOptions } from './compare.js';
import { failover } from './failover.js';
import { foldThroughput } from './foldThroughput.js';
import { loadAverage } from './machine.js';
import { recoveryTime } from './recoveryTime.js';
import { restartRecovery } from './restartRecovery.js';
import { soak } from './soak.js';
import { startupOverFinished } from './startupOverFinished.js';
import { timed } from './support.js';

const argv = process.argv.slice(2);
const options = compareOptions(argv);
const { values } = parseArgs({
  args: argv,
  options: {
    'recovery-samples': { type: 'string' },
    'restart-sagas': { type: 'string' },
    'soak-sagas': { type: 'string' },
    'failover-rounds': { type: 'string' },
  },
  strict: false,
});

console.log(`# sagaflow benchmarks${options.quick ? ' (quick)' : ''} — ${new Date().toISOString()}, load average ${loadAverage()}`);
const { ms } = await timed(async () => {
  const summary = await compare(options);
  if (options.quick) return;
  await recoveryTime(Number(values['recovery-samples'] ?? 100));
  await restartRecovery(Number(values['restart-sagas'] ?? 10_000));
  // 1 M finished on SQLite (seeded in about a minute); PostgreSQL 100 k (1 M takes ~80 s more to seed).
  await startupOverFinished([100_000, 1_000_000], ['sqlite']);
  await startupOverFinished([100_000], ['postgres'], 0);
  await failover(Number(values['failover-rounds'] ?? 8));
  const fold = foldThroughput();
  console.log(
    `\nfold of a ${fold.events}-event stream: ${(fold.foldPerSecond / 1e6).toFixed(2)} M events/s (with the zod parse of each event: ${(fold.parseAndFoldPerSecond / 1e6).toFixed(2)} M/s)`,
  );
  soak(Number(values['soak-sagas'] ?? 200_000));
  summary(); // again, so the run ends with the table to paste
});
console.log(`\nall benchmarks done in ${(ms / 1000).toFixed(0)} s (load average now ${loadAverage()})`);
