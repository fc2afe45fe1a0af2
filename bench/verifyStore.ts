/**
 * How fast `sagaflow verify` checks a large store: writes a SQLite file of N small sagas
 * (three steps, completed; every 10th compensated after a permanent failure of its last
 * step), then runs the CLI on it as a user would, in a child process, and prints its summary.
 *
 *   npx tsx bench/verifyStore.ts [count=100000] [path=/tmp/sagaflow-verify-<count>.db]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { v7 } from 'uuid';
import { sagaEvent } from '../src/core/events.js';
import type { SagaEvent } from '../src/core/events.js';
import { sagaStreamId, toNewEvents } from '../src/runtime/sagaStream.js';
import { createSqliteEventStore } from '../src/stores/sqlite/index.js';

const count = Number(process.argv[2] ?? 100_000);
const path = process.argv[3] ?? `/tmp/sagaflow-verify-${count}.db`;
const steps = ['reserve', 'charge', 'ship'].map((name) => ({ name, optional: false, checkpoint: false, compensable: name !== 'ship' }));

function saga(i: number, at: number): { id: string; events: SagaEvent[] } {
  const id = v7();
  const w = 'bench/1/worker';
  const events: SagaEvent[] = [sagaEvent('SagaStarted', { sagaId: id, saga: 'bench', version: 1, input: { i }, steps, idempotencyKey: null, at })];
  const fails = i % 10 === 9;
  for (const [k, s] of steps.entries()) {
    const t = at + k * 2;
    events.push(sagaEvent('StepStarted', { step: s.name, attempt: 1, worker: w, leaseUntil: t + 750, at: t }));
    if (fails && s.name === 'ship') {
      events.push(
        sagaEvent('StepFailed', {
          step: 'ship',
          attempt: 1,
          kind: 'permanent',
          exhausted: false,
          error: { name: 'PermanentError', code: 'NO_ROUTE', message: 'no route' },
          at: t + 1,
        }),
      );
      events.push(sagaEvent('RolledBack', { step: 'ship', toCheckpoint: null, at: t + 1 }));
      events.push(sagaEvent('CompensationPlanned', { cause: 'permanent', failedStep: 'ship', plan: ['charge', 'reserve'], at: t + 1 }));
      for (const c of ['charge', 'reserve']) {
        events.push(sagaEvent('CompensationStarted', { step: c, attempt: 1, worker: w, leaseUntil: t + 751, at: t + 1 }));
        events.push(sagaEvent('CompensationSucceeded', { step: c, attempt: 1, at: t + 2 }));
      }
      events.push(sagaEvent('SagaCompensated', { at: t + 2 }));
      return { id, events };
    }
    events.push(sagaEvent('StepSucceeded', { step: s.name, attempt: 1, output: { n: k }, at: t + 1 }));
  }
  events.push(sagaEvent('SagaCompleted', { at: at + 6 }));
  return { id, events };
}

if (!existsSync(path)) {
  const started = performance.now();
  const store = createSqliteEventStore({ path });
  const t0 = Date.now();
  for (let i = 0; i < count; i += 1_000) {
    // Appends made in one turn share one transaction (group commit).
    await Promise.all(
      Array.from({ length: Math.min(1_000, count - i) }, (_, k) => {
        const { id, events } = saga(i + k, t0 + i + k);
        return store.append(sagaStreamId(id), toNewEvents(events, { sagaId: id, saga: 'bench', worker: 'bench/1/worker' }), 'no_stream');
      }),
    );
  }
  await store.close();
  console.log(`wrote ${count} sagas to ${path} in ${((performance.now() - started) / 1_000).toFixed(1)} s`);
}
const started = performance.now();
let out = '';
try {
  out = execFileSync('npx', ['tsx', 'src/cli/main.ts', 'verify', '--store', `sqlite:${path}`], { encoding: 'utf8', maxBuffer: 1 << 30 });
} catch (error) {
  out = String((error as { stdout?: string }).stdout ?? error);
}
const wall = (performance.now() - started) / 1_000;
console.log(
  out
    .split('\n')
    .filter((l) => l.startsWith('verified') || l.startsWith('broken'))
    .join('\n'),
);
console.log(`wall time of the child process (tsx start-up included): ${wall.toFixed(1)} s`);
if (process.env['KEEP'] !== '1') for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
