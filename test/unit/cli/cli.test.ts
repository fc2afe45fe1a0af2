/**
 * The `sagaflow` command as a user runs it: `npx tsx src/cli/main.ts ...` in a child process,
 * against a SQLite file this test fills with real sagas (and one hand-made broken stream).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sagaEvent } from '../../../src/core/events.js';
import { createEngine } from '../../../src/runtime/engine.js';
import { sagaStreamId, toNewEvents } from '../../../src/runtime/sagaStream.js';
import { createSqliteEventStore } from '../../../src/stores/sqlite/index.js';
import { createOrderFulfilmentParticipants, createOrderFulfilmentSaga } from '../../../sagas/index.js';
import type { OrderInput } from '../../../sagas/index.js';
import { FAST } from '../sagas/sagaHarness.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-cli-'));
const url = `sqlite:${join(dir, 'cli.db')}`;
const order: OrderInput = { orderId: 'o-1', customerId: 'c-1', lines: [{ sku: 'widget', quantity: 1 }], amountCents: 100, address: 'x' };
const ids = { completed: '', parked: '', broken: v7() };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; never rejects, so tests can assert on failing exit codes. */
function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('npx', ['tsx', 'src/cli/main.ts', ...args], { cwd: process.cwd(), timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  const store = createSqliteEventStore({ path: join(dir, 'cli.db') });
  const participants = createOrderFulfilmentParticipants();
  const engine = await createEngine({ store, sagas: [createOrderFulfilmentSaga(participants, FAST)] });
  ids.completed = (await engine.start('order-fulfilment', order)).sagaId;
  await engine.result(ids.completed);
  participants.shipping.faults.inject('create', { kind: 'permanent' });
  participants.payments.faults.inject('refund', { kind: 'transient' });
  ids.parked = (await engine.start('order-fulfilment', { ...order, orderId: 'o-2' })).sagaId;
  expect((await engine.result(ids.parked)).status).toBe('failed');
  await engine.close();
  // Well-formed events telling an impossible story: the second step succeeded, the first never ran.
  const steps = [
    { name: 'a', optional: false, checkpoint: false, compensable: false },
    { name: 'b', optional: false, checkpoint: false, compensable: false },
  ];
  const story = [
    sagaEvent('SagaStarted', { sagaId: ids.broken, saga: 'handmade', version: 1, input: null, steps, idempotencyKey: null, at: 1 }),
    sagaEvent('StepSucceeded', { step: 'b', attempt: 1, output: null, at: 2 }),
  ];
  await store.append(sagaStreamId(ids.broken), toNewEvents(story, {}), 'no_stream');
  await store.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sagaflow CLI (child process, SQLite file)', () => {
  it('lists, shows a timeline, and verifies', async () => {
    const [list, timeline, verifyAll, verifyOne, missing] = await Promise.all([
      cli('list', '--store', url),
      cli('timeline', ids.completed, '--store', url),
      cli('verify', '--store', url),
      cli('verify', ids.parked, '--store', url, '--sagas', './sagas/index.ts'),
      cli('timeline', v7(), '--store', url),
    ]);

    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${ids.completed}\\s+order-fulfilment@1\\s+completed\\s+3/3 steps`));
    expect(list.stdout).toMatch(new RegExp(`${ids.parked}\\s+order-fulfilment@1\\s+failed \\(needs attention\\)`));
    expect(list.stdout).toContain('3 saga(s)');

    expect(timeline.code).toBe(0);
    expect(timeline.stdout).toMatch(/rev\s+time\s+event\s+step\s+attempt\s+details/);
    expect(timeline.stdout).toMatch(/StepSucceeded\s+chargePayment\s+1 {2}took \d+ms/);
    expect(timeline.stdout).toMatch(/SagaCompleted/);

    expect(verifyAll.code).toBe(1);
    expect(verifyAll.stdout).toMatch(new RegExp(`ok\\s+${ids.completed}`));
    expect(verifyAll.stdout).toMatch(new RegExp(`BROKEN\\s+${ids.broken}`));
    expect(verifyAll.stdout).toMatch(/revision 1: step a precedes a succeeded step/);
    expect(verifyAll.stdout).toContain('verified 3 saga(s): 2 ok, 1 broken');

    expect(verifyOne.code).toBe(0);
    expect(verifyOne.stdout).toContain('1 ok, 0 broken');

    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('No saga');
  });

  it('resumes a parked saga with the definitions of a module', async () => {
    const resumed = await cli('resume', ids.parked, '--store', url, '--sagas', './sagas/index.ts');
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/SagaResumed\s+resumed by cli/);
    expect(resumed.stdout).toContain('result: compensated (chargePayment → reserveInventory)');
    const again = await cli('resume', ids.parked, '--store', url, '--sagas', './sagas/index.ts');
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already ended compensated');
  });

  it('rejects an unknown store URL with exit code 2', async () => {
    const run = await cli('list', '--store', 'nosuch://x');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('STORE_URL_INVALID');
  });
});
