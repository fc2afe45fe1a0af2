/**
 * The `sagaflow` command as a user runs it: `tsx src/cli/main.ts ...` in a child process,
 * against SQLite files this test fills with real sagas (completed, compensated, parked) and a
 * second file with hand-made broken streams. Text and --json, exit codes, read-only copies,
 * missing stores.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { v7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sagaEvent } from '../../../src/core/events.js';
import { createEngine, Engine } from '../../../src/runtime/engine.js';
import { sagaStreamId, toNewEvents } from '../../../src/runtime/sagaStream.js';
import { createSqliteEventStore } from '../../../src/stores/sqlite/index.js';
import { createOrderFulfilmentParticipants, createOrderFulfilmentSaga } from '../../../sagas/index.js';
import type { OrderInput } from '../../../sagas/index.js';
import { runCli } from '../../support/runCli.js';
import { FAST } from '../sagas/sagaHarness.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-cli-'));
const dbPath = join(dir, 'cli.db');
const url = `sqlite:${dbPath}`;
const brokenPath = join(dir, 'broken.db');
const brokenUrl = `sqlite:${brokenPath}`;
const order: OrderInput = { orderId: 'o-1', customerId: 'c-1', lines: [{ sku: 'widget', quantity: 1 }], amountCents: 100, address: 'x' };
const ids = { completed: '', compensated: '', parked: '', impossible: v7(), corrupted: v7(), badJson: v7() };
const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

const cli = runCli;

const steps = [
  { name: 'a', optional: false, checkpoint: false, compensable: false },
  { name: 'b', optional: false, checkpoint: false, compensable: false },
];

beforeAll(async () => {
  const store = createSqliteEventStore({ path: dbPath });
  const participants = createOrderFulfilmentParticipants();
  const engine = await createEngine({ store, sagas: [createOrderFulfilmentSaga(participants, FAST)] });
  ids.completed = (await engine.start('order-fulfilment', order)).sagaId;
  await engine.result(ids.completed);
  participants.shipping.faults.inject('create', { kind: 'permanent', code: 'ADDRESS_UNDELIVERABLE', message: 'no such street' });
  ids.compensated = (await engine.start('order-fulfilment', { ...order, orderId: 'o-2' })).sagaId;
  expect((await engine.result(ids.compensated)).status).toBe('compensated');
  participants.payments.faults.inject('refund', { kind: 'transient' });
  ids.parked = (await engine.start('order-fulfilment', { ...order, orderId: 'o-3' })).sagaId;
  expect((await engine.result(ids.parked)).status).toBe('failed');
  await engine.close();
  await store.close();

  const broken = createSqliteEventStore({ path: brokenPath });
  // Well-formed events telling an impossible story: the second step succeeded, the first never ran.
  const impossible = [
    sagaEvent('SagaStarted', { sagaId: ids.impossible, saga: 'handmade', version: 1, input: null, steps, idempotencyKey: null, at: 1 }),
    sagaEvent('StepStarted', { step: 'b', attempt: 1, worker: 'w', leaseUntil: 10, at: 2 }),
    sagaEvent('StepSucceeded', { step: 'b', attempt: 1, output: null, at: 3 }),
  ];
  await broken.append(sagaStreamId(ids.impossible), toNewEvents(impossible, {}), 'no_stream');
  for (const id of [ids.corrupted, ids.badJson]) {
    const fine = [
      sagaEvent('SagaStarted', { sagaId: id, saga: 'handmade', version: 1, input: null, steps, idempotencyKey: null, at: 1 }),
      sagaEvent('StepStarted', { step: 'a', attempt: 1, worker: 'w', leaseUntil: 10, at: 2 }),
      sagaEvent('StepSucceeded', { step: 'a', attempt: 1, output: null, at: 3 }),
    ];
    await broken.append(sagaStreamId(id), toNewEvents(fine, {}), 'no_stream');
  }
  await broken.close();
  // Corrupt two stored events behind the store's back: one with data of the wrong shape, one that is no JSON at all.
  const db = new Database(brokenPath);
  db.prepare('UPDATE events SET data = ? WHERE stream_id = ? AND revision = 2').run('{"step":42}', sagaStreamId(ids.corrupted));
  db.prepare('UPDATE events SET data = ? WHERE stream_id = ? AND revision = 1').run('{not json', sagaStreamId(ids.badJson));
  db.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Whether uid 65534 can read this checkout (its node_modules and sources): every parent directory must let it through. */
function nobodyCanRunHere(): boolean {
  const probe = spawnSync(process.execPath, ['-e', "require('node:fs').accessSync('node_modules/tsx/package.json')"], {
    cwd: process.cwd(),
    uid: 65534,
    gid: 65534,
  });
  return probe.status === 0;
}

describe('sagaflow CLI: inspection (child process, SQLite file)', () => {
  it('lists sagas with filters and pages, in text and JSON', async () => {
    const [all, json, compensated, byName, future, first] = await Promise.all([
      cli(['list', '--store', url]),
      cli(['list', '--store', url, '--json']),
      cli(['list', '--store', url, '--status', 'compensated']),
      cli(['list', '--store', url, '--saga', 'order-fulfilment@1', '--status', 'parked,completed', '--since', '1d']),
      cli(['list', '--store', url, '--since', '2999-01-01']),
      cli(['list', '--store', url, '--limit', '2', '--json']),
    ]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(new RegExp(`${ids.completed}\\s+order-fulfilment@1\\s+completed\\s+3/3 steps`));
    expect(all.stdout).toMatch(new RegExp(`${ids.compensated}\\s+order-fulfilment@1\\s+compensated\\s+2/3 steps, 2/2 compensated`));
    expect(all.stdout).toMatch(new RegExp(`${ids.parked}\\s+order-fulfilment@1\\s+failed \\(needs attention\\)`));
    expect(all.stdout).toContain('3 saga(s)');

    const page = JSON.parse(json.stdout) as { sagas: { sagaId: string; status: string }[]; nextCursor: string | null };
    expect(page.sagas.map((s) => [s.sagaId, s.status])).toEqual([
      [ids.completed, 'completed'],
      [ids.compensated, 'compensated'],
      [ids.parked, 'failed'],
    ]);
    expect(page.nextCursor).toBeNull();

    expect(compensated.stdout).toContain(ids.compensated);
    expect(compensated.stdout).not.toContain(ids.completed);
    expect(byName.stdout).toContain(ids.completed);
    expect(byName.stdout).toContain(ids.parked);
    expect(byName.stdout).not.toContain(ids.compensated);
    expect(future.stdout.trim()).toBe('No sagas match.');

    const one = JSON.parse(first.stdout) as { sagas: { sagaId: string }[]; nextCursor: string };
    expect(one.sagas.map((s) => s.sagaId)).toEqual([ids.completed, ids.compensated]);
    const next = await cli(['list', '--store', url, '--limit', '2', '--cursor', one.nextCursor]);
    expect(next.code).toBe(0);
    expect(next.stdout).toContain(ids.parked);
    expect(next.stdout).not.toContain(ids.completed);
  });

  it("shows a compensated saga's timeline: plain when piped, coloured when forced, JSON, Mermaid, HTML", async () => {
    const [text, forced, noColor, json, mermaid, html, alias, missing] = await Promise.all([
      cli(['show', ids.compensated, '--store', url]),
      cli(['show', ids.compensated, '--store', url], { env: { FORCE_COLOR: '1' } }),
      cli(['show', ids.compensated, '--store', url], { env: { NO_COLOR: '1' } }),
      cli(['show', ids.compensated, '--store', url, '--json']),
      cli(['show', ids.compensated, '--store', url, '--format', 'mermaid']),
      cli(['show', ids.compensated, '--store', url, '--format', 'html']),
      cli(['timeline', ids.completed, '--store', url]),
      cli(['show', v7(), '--store', url]),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toContain('\u001b[');
    expect(text.stdout).toMatch(/rev\s+at \(UTC\)\s+time\s+Δ prev\s+event\s+step\s+attempt\s+worker\s+details/);
    expect(text.stdout).toMatch(/StepFailed\s+createShipment\s+1\s+took \d+ms {2}permanent: ADDRESS_UNDELIVERABLE: no such street/);
    expect(text.stdout).toMatch(/CompensationPlanned\s+cause permanent at createShipment; plan: chargePayment → reserveInventory/);
    expect(text.stdout).toMatch(/CompensationSucceeded\s+chargePayment\s+1\s+took/);
    expect(text.stdout).toMatch(/\d\d:\d\d:\d\d\.\d{3}\s+\+\d+ms\s+\+\d+ms\s+StepSucceeded/);
    expect(text.stdout).toMatch(/SagaStarted\s+\S+\/\d+\/\S+\s+order-fulfilment v1/);
    expect(text.stdout).toContain('result: compensated in');
    expect(text.stdout).toContain('undone in order: chargePayment → reserveInventory');
    expect(forced.stdout).toContain('\u001b[31m');
    expect(noColor.stdout).not.toContain('\u001b[');

    const shown = JSON.parse(json.stdout) as {
      status: string;
      events: { type: string; step: string | null; attempt: number | null; worker: string | null; sincePreviousMs: number | null }[];
    };
    expect(shown.status).toBe('compensated');
    const failed = shown.events.find((e) => e.type === 'StepFailed');
    expect(failed).toMatchObject({ step: 'createShipment', attempt: 1 });
    expect(failed?.worker).toMatch(/\//);
    expect(shown.events.at(-1)?.type).toBe('SagaCompensated');
    expect(shown.events[1]?.sincePreviousMs).toBeGreaterThanOrEqual(0);

    expect(mermaid.stdout).toMatch(/^sequenceDiagram/);
    expect(mermaid.stdout).toContain('--xsaga: permanent ADDRESS_UNDELIVERABLE');
    expect(mermaid.stdout).toContain('compensate, attempt 1');
    expect(html.stdout).toMatch(/^<!doctype html>/);
    expect(html.stdout).toContain('<td>CompensationPlanned</td>');

    expect(alias.code).toBe(0);
    expect(alias.stdout).toMatch(/SagaCompleted/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('No saga');
  });

  it('replays a saga to a revision: the same state and violations as engine.replay', async () => {
    const [text, json, past] = await Promise.all([
      cli(['replay', ids.compensated, '--to', '6', '--store', url]),
      cli(['replay', ids.compensated, '--to', '6', '--store', url, '--json']),
      cli(['replay', ids.compensated, '--to', '999', '--store', url]),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/replayed to revision 6 of \d+ \(StepFailed\)/);
    expect(text.stdout).toContain('invariants: all hold');
    expect(text.stdout).toMatch(/createShipment\s+failed\s+attempts 1/);
    const store = createSqliteEventStore({ path: dbPath, readOnly: true });
    const engine = new Engine({ store, sagas: [], runSagas: false });
    const expected = await engine.replay(ids.compensated, { toRevision: 6 });
    await engine.close();
    await store.close();
    const replayed = JSON.parse(json.stdout) as { state: unknown; violations: string[]; events: unknown[] };
    expect(replayed.state).toEqual(JSON.parse(JSON.stringify(expected.state)));
    expect(replayed.violations).toEqual(expected.violations);
    expect(replayed.events).toEqual(JSON.parse(JSON.stringify(expected.events)));
    expect(past.code).toBe(2);
    expect(past.stderr).toContain('past its end');
  });

  it('verifies: every stream valid and able to continue; broken streams named with their revision, exit 1', async () => {
    const [good, bad, badJson, one] = await Promise.all([
      cli(['verify', '--store', url, '--sagas', './sagas/index.ts']),
      cli(['verify', '--store', brokenUrl]),
      cli(['verify', '--store', brokenUrl, '--json']),
      cli(['verify', ids.impossible, '--store', brokenUrl]),
    ]);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(new RegExp(`ok\\s+${ids.compensated}\\s+order-fulfilment@1 compensated`));
    expect(good.stdout).toMatch(/verified 3 saga\(s\): 3 ok, 0 broken, in [\d.]+ s \(\d+ streams\/s\)/);

    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(new RegExp(`BROKEN\\s+${ids.impossible}`));
    expect(bad.stdout).toMatch(/revision 2: step a precedes a succeeded step/);
    expect(bad.stdout).toMatch(new RegExp(`BROKEN\\s+${ids.corrupted}\\s+unreadable`));
    expect(bad.stdout).toMatch(/revision 2: Corrupted StepSucceeded event/);
    expect(bad.stdout).toMatch(new RegExp(`BROKEN\\s+${ids.badJson}\\s+unreadable`));
    expect(bad.stdout).toMatch(/revision 1: Event saga-\S+@1 \(position \d+\) holds invalid JSON/);
    expect(bad.stdout).toContain('verified 3 saga(s): 0 ok, 3 broken');
    expect(bad.stdout).toContain(`saga-${ids.corrupted} at revision 2`);

    const report = JSON.parse(badJson.stdout) as {
      broken: number;
      verdicts: { sagaId: string; valid: boolean; canContinue: boolean; problems: { revision: number }[] }[];
    };
    expect(badJson.code).toBe(1);
    expect(report.broken).toBe(3);
    expect(report.verdicts.find((v) => v.sagaId === ids.corrupted)).toMatchObject({ valid: false, canContinue: false, problems: [{ revision: 2 }] });

    expect(one.code).toBe(1);
    expect(one.stdout).toContain('1 broken');
  });

  it('draws a definition as a Mermaid flowchart with compensations as dashed back-edges', async () => {
    const run = await cli(['diagram', 'order-fulfilment', '--sagas', './sagas/index.ts']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^flowchart LR/);
    expect(run.stdout).toContain('s0 --> s1');
    expect(run.stdout).toContain('s2 -. "fails" .-> c1');
    expect(run.stdout).toContain('c1 -.-> c0');
    expect(run.stdout).toContain('c0 -.-> compensated');
  });
});

describe('sagaflow CLI: read-only inspection', () => {
  it('never creates a store that does not exist: a mistyped path exits 2 naming it', async () => {
    const typo = join(dir, '.sagaflw', 'demo.db');
    const runs = await Promise.all(['list', 'verify'].map((command) => cli([command, '--store', `sqlite:${typo}`])));
    for (const run of runs) {
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('STORE_NOT_FOUND');
      expect(run.stderr).toContain(typo);
    }
    expect(existsSync(join(dir, '.sagaflw'))).toBe(false);
  });

  it('reads a read-only copy (file and directory not writable) and leaves it untouched', async () => {
    const copyDir = join(dir, 'backup');
    mkdirSync(copyDir);
    const copy = join(copyDir, 'cli.db');
    copyFileSync(dbPath, copy);
    chmodSync(copy, 0o444);
    chmodSync(copyDir, 0o555);
    chmodSync(dir, 0o755);
    const before = statSync(copy).mtimeMs;
    // Root ignores file modes: run as nobody then, so the modes really apply — when nobody can
    // reach the project at all (a clone under a private directory, as mktemp -d makes), the
    // child stays root (the modes then bind nobody) and the copy's untouched file is what is checked.
    const as = process.getuid?.() === 0 && nobodyCanRunHere() ? { uid: 65534, gid: 65534, env: { HOME: '/tmp' } } : {};
    try {
      const [list, show, verify, replay] = await Promise.all([
        cli(['list', '--store', `sqlite:${copy}`], as),
        cli(['show', ids.parked, '--store', `sqlite:${copy}`], as),
        cli(['verify', '--store', `sqlite:${copy}`], as),
        cli(['replay', ids.parked, '--store', `sqlite:${copy}`, '--to', '3'], as),
      ]);
      for (const run of [list, show, verify, replay]) expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(list.stdout).toContain('3 saga(s)');
      expect(show.stdout).toContain('SagaFailed');
      expect(statSync(copy).mtimeMs).toBe(before);
    } finally {
      chmodSync(copyDir, 0o755);
    }
  });
});

describe('sagaflow CLI: operations and usage', () => {
  it('starts a saga and follows it to the end; cancel and resume refuse a saga that already ended (exit 1)', async () => {
    const input = JSON.stringify({ ...order, orderId: 'o-cli' });
    const started = await cli(['start', 'order-fulfilment', '--input', input, '--sagas', './sagas/index.ts', '--store', url]);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/^started: saga \S+/);
    expect(started.stdout).toMatch(/order-fulfilment@1 \S+ {2}running {2}0\/3 steps {2}reserveInventory attempt 1/);
    expect(started.stdout).toMatch(/completed {2}3\/3 steps/);
    expect(started.stdout).toContain('result: completed');
    const sagaId = /started: saga (\S+)/.exec(started.stdout)?.[1] ?? '';

    const [cancelled, resumed, outOfStock] = await Promise.all([
      cli(['cancel', sagaId, '--reason', 'customer asked', '--store', url]),
      cli(['resume', ids.completed, '--store', url, '--sagas', './sagas/index.ts', '--json']),
      cli([
        'start',
        'order-fulfilment',
        '--input',
        JSON.stringify({ ...order, orderId: 'o-big', lines: [{ sku: 'widget', quantity: 10_000 }] }),
        '--sagas',
        './sagas/index.ts',
        '--store',
        url,
        '--json',
      ]),
    ]);
    expect(cancelled.code).toBe(1);
    expect(cancelled.stderr).toContain('it is completed, not running');
    expect(resumed.code).toBe(1);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ resumed: false, status: 'completed' });
    expect(outOfStock.code).toBe(1);
    expect(JSON.parse(outOfStock.stdout)).toMatchObject({ status: 'compensated' });
  });

  it('resumes a parked saga with the definitions of a module', async () => {
    const resumed = await cli(['resume', ids.parked, '--store', url, '--sagas', './sagas/index.ts']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/SagaResumed\s+resumed by cli/);
    expect(resumed.stdout).toContain('result: compensated (chargePayment → reserveInventory)');
  });

  it('rejects bad options and arguments with exit code 2 and a message; prints its version', async () => {
    const [worker, limit, format, since, to, input, url2, unknown, versionRun] = await Promise.all([
      cli(['worker', '--store', url, '--sagas', './sagas/index.ts', '--concurrency', 'abc', '--lease-ms', '-5']),
      cli(['list', '--store', url, '--limit', '0']),
      cli(['show', ids.completed, '--store', url, '--format', 'pdf']),
      cli(['list', '--store', url, '--since', 'yesterday']),
      cli(['replay', ids.completed, '--store', url, '--to', '-1']),
      cli(['start', 'order-fulfilment', '--input', '{bad', '--sagas', './sagas/index.ts', '--store', url]),
      cli(['list', '--store', 'nosuch://x']),
      cli(['frobnicate']),
      cli(['--version']),
    ]);
    expect(worker.code).toBe(2);
    expect(worker.stderr).toMatch(/--concurrency <n>' argument 'abc' is invalid\. must be an integer ≥ 1/);
    const lease = await cli(['worker', '--store', url, '--sagas', './sagas/index.ts', '--lease-ms', '-5']);
    expect(lease.code).toBe(2);
    expect(lease.stderr).toMatch(/--lease-ms <ms>' argument '-5' is invalid/);
    for (const run of [limit, format, since, to, input]) {
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/is invalid/);
    }
    expect(url2.code).toBe(2);
    expect(url2.stderr).toContain('STORE_URL_INVALID');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect(versionRun.code).toBe(0);
    expect(versionRun.stdout.trim()).toBe(version);
  });
});
