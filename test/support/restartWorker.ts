/**
 * A worker process for the restart test: opens the SQLite file, starts one saga of each kind,
 * prints their ids as JSON, and runs until it is killed.
 * Usage: node --import tsx restartWorker.ts <db> <callsFile> <hangFile>
 */
import { createEngine } from '../../src/index.js';
import { createSqliteEventStore } from '../../src/stores/sqlite/index.js';
import { restartSagas } from './restartSagas.js';

const [db, calls, hang] = process.argv.slice(2) as [string, string, string];
const store = createSqliteEventStore({ path: db });
const engine = await createEngine({ store, sagas: restartSagas(calls, hang), leaseMs: 500 });
const hanging = await engine.start('hanging', {});
const retrying = await engine.start('retrying', {});
process.stdout.write(`${JSON.stringify({ hanging: hanging.sagaId, retrying: retrying.sagaId })}\n`);
setInterval(() => {}, 1_000);
