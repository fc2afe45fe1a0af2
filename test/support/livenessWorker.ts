/**
 * A worker process for the liveness tests: opens the SQLite file (or PostgreSQL URL), starts
 * one `held` saga, prints its id, and runs until it is killed.
 * Usage: node --import tsx livenessWorker.ts <store url or SQLite path> <hangFile> <leaseMs> <workerId>
 */
import { createEngine } from '../../src/index.js';
import { createStore } from '../../src/stores/createStore.js';
import { livenessSagas } from './livenessSagas.js';

const [url, hang, leaseMs, workerId] = process.argv.slice(2) as [string, string, string, string];
const store = await createStore(url);
const engine = await createEngine({ store, sagas: livenessSagas(hang), leaseMs: Number(leaseMs), workerId, resumeUnfinished: false });
const { sagaId } = await engine.start('held', {});
process.stdout.write(`${JSON.stringify({ sagaId })}\n`);
setInterval(() => {}, 1_000);
