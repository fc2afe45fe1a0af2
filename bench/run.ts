/**
 * Every benchmark in sequence, with modest defaults (`npm run bench`). Each also runs alone:
 *   npx tsx bench/sagaThroughput.ts [sagas]
 *   npx tsx bench/recoveryTime.ts [samples] [sagasPerRound]
 *   npx tsx bench/restartRecovery.ts [sagas] [concurrencies]
 * Run: npx tsx bench/run.ts [throughputSagas=300] [recoverySamples=100] [restartSagas=10000]
 * Each bench starts (and removes) its own temp files and private PostgreSQL cluster.
 */
import { cpus, loadavg } from 'node:os';
import { recoveryTime } from './recoveryTime.js';
import { restartRecovery } from './restartRecovery.js';
import { sagaThroughput } from './sagaThroughput.js';
import { timed } from './support.js';

const [throughputSagas, recoverySamples, restartSagas] = [300, 100, 10_000].map((fallback, i) => Number(process.argv[2 + i] ?? fallback)) as [number, number, number];

console.log(`sagaflow benchmarks — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const { ms } = await timed(async () => {
  await sagaThroughput(throughputSagas);
  await recoveryTime(recoverySamples);
  await restartRecovery(restartSagas);
});
console.log(`\nall benchmarks done in ${(ms / 1000).toFixed(0)} s (load average now ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
