/**
 * The `sagaflow` CLI against a real PostgreSQL (the suite's cluster), in child processes: a
 * database of its own holds real sagas (completed, compensated), a hand-made impossible stream
 * and a corrupted event; a second database was never migrated (a mistyped or wrong store).
 */
import { v7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sagaEvent } from '../../src/core/events.js';
import { createEngine, Engine } from '../../src/runtime/engine.js';
import { sagaStreamId, toNewEvents } from '../../src/runtime/sagaStream.js';
import { createPostgresEventStore } from '../../src/stores/postgres/index.js';
import { createOrderFulfilmentParticipants, createOrderFulfilmentSaga } from '../../sagas/index.js';
import type { OrderInput } from '../../sagas/index.js';
import { FAST } from '../unit/sagas/sagaHarness.js';
import { rawClient } from '../support/postgresTestStore.js';
import { runCli as cli } from '../support/runCli.js';

const suffix = `${inject('postgresRunId')}_${v7().replace(/-/g, '').slice(-12)}`;
const databases = { filled: `cli_${suffix}`, empty: `cli_empty_${suffix}` };
const urlOf = (database: string): string => {
  const url = new URL(inject('postgresUrl'));
  url.pathname = `/${database}`;
  return url.toString();
};
const url = urlOf(databases.filled);
const order: OrderInput = { orderId: 'o-1', customerId: 'c-1', lines: [{ sku: 'widget', quantity: 1 }], amountCents: 100, address: 'x' };
const ids = { completed: '', compensated: '', impossible: v7(), corrupted: v7() };
const steps = [
  { name: 'a', optional: false, checkpoint: false, compensable: false },
  { name: 'b', optional: false, checkpoint: false, compensable: false },
];

beforeAll(async () => {
  const admin = await rawClient();
  for (const db of Object.values(databases)) await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const store = await createPostgresEventStore({ connectionString: url });
  const participants = createOrderFulfilmentParticipants();
  const engine = await createEngine({ store, sagas: [createOrderFulfilmentSaga(participants, FAST)] });
  ids.completed = (await engine.start('order-fulfilment', order)).sagaId;
  await engine.result(ids.completed);
  participants.shipping.faults.inject('create', { kind: 'permanent', code: 'ADDRESS_UNDELIVERABLE', message: 'no such street' });
  ids.compensated = (await engine.start('order-fulfilment', { ...order, orderId: 'o-2' })).sagaId;
  expect((await engine.result(ids.compensated)).status).toBe('compensated');
  await engine.close();
  const impossible = [
    sagaEvent('SagaStarted', { sagaId: ids.impossible, saga: 'handmade', version: 1, input: null, steps, idempotencyKey: null, at: 1 }),
    sagaEvent('StepStarted', { step: 'b', attempt: 1, worker: 'w', leaseUntil: 10, at: 2 }),
    sagaEvent('StepSucceeded', { step: 'b', attempt: 1, output: null, at: 3 }),
  ];
  await store.append(sagaStreamId(ids.impossible), toNewEvents(impossible, {}), 'no_stream');
  const fine = [
    sagaEvent('SagaStarted', { sagaId: ids.corrupted, saga: 'handmade', version: 1, input: null, steps, idempotencyKey: null, at: 1 }),
    sagaEvent('StepStarted', { step: 'a', attempt: 1, worker: 'w', leaseUntil: 10, at: 2 }),
    sagaEvent('StepSucceeded', { step: 'a', attempt: 1, output: null, at: 3 }),
  ];
  await store.append(sagaStreamId(ids.corrupted), toNewEvents(fine, {}), 'no_stream');
  await store.close();
  // Corrupt one stored event behind the store's back: data of the wrong shape.
  const client = await rawClient(url);
  await client.query(`UPDATE sagaflow.events SET data = '{"step":42}'::jsonb WHERE stream_id = $1 AND revision = 2`, [sagaStreamId(ids.corrupted)]);
  await client.end();
});

afterAll(async () => {
  const admin = await rawClient();
  for (const db of Object.values(databases)) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await admin.end();
});

describe('sagaflow CLI on PostgreSQL (child processes)', () => {
  it('lists and shows sagas, in text and JSON', async () => {
    const [list, listJson, show, showJson] = await Promise.all([
      cli(['list', '--store', url, '--saga', 'order-fulfilment']),
      cli(['list', '--store', url, '--json', '--status', 'compensated']),
      cli(['show', ids.compensated, '--store', url]),
      cli(['show', ids.compensated, '--store', url, '--json']),
    ]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${ids.completed}\\s+order-fulfilment@1\\s+completed\\s+3/3 steps`));
    expect(list.stdout).toMatch(new RegExp(`${ids.compensated}\\s+order-fulfilment@1\\s+compensated`));
    expect(list.stdout).toContain('2 saga(s)');
    expect((JSON.parse(listJson.stdout) as { sagas: { sagaId: string }[] }).sagas.map((s) => s.sagaId)).toEqual([ids.compensated]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/StepFailed\s+createShipment\s+1\s+took \d+ms {2}permanent: ADDRESS_UNDELIVERABLE: no such street/);
    expect(show.stdout).toContain('undone in order: chargePayment → reserveInventory');
    expect((JSON.parse(showJson.stdout) as { status: string }).status).toBe('compensated');
  });

  it('replays to a revision exactly as engine.replay does', async () => {
    const run = await cli(['replay', ids.compensated, '--to', '8', '--store', url, '--json']);
    expect(run.code).toBe(0);
    const store = await createPostgresEventStore({ connectionString: url, migrate: false });
    const engine = new Engine({ store, sagas: [], runSagas: false });
    const expected = await engine.replay(ids.compensated, { toRevision: 8 });
    await engine.close();
    await store.close();
    const replayed = JSON.parse(run.stdout) as { state: unknown; violations: string[] };
    expect(replayed.state).toEqual(JSON.parse(JSON.stringify(expected.state)));
    expect(replayed.violations).toEqual(expected.violations);
  });

  it('verifies every stream and names the broken ones with their revision (exit 1)', async () => {
    const [text, json] = await Promise.all([cli(['verify', '--store', url, '--sagas', './sagas/index.ts']), cli(['verify', '--store', url, '--json'])]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(new RegExp(`ok\\s+${ids.completed}`));
    expect(text.stdout).toMatch(new RegExp(`BROKEN\\s+${ids.impossible}`));
    expect(text.stdout).toMatch(/revision 2: step a precedes a succeeded step/);
    expect(text.stdout).toMatch(new RegExp(`BROKEN\\s+${ids.corrupted}\\s+unreadable`));
    expect(text.stdout).toMatch(/revision 2: Corrupted StepSucceeded event/);
    expect(text.stdout).toMatch(/verified 4 saga\(s\): 2 ok, 2 broken, in [\d.]+ s \(\d+ streams\/s\)/);
    const report = JSON.parse(json.stdout) as { broken: number; verdicts: { sagaId: string; valid: boolean; canContinue: boolean }[] };
    expect(json.code).toBe(1);
    expect(report.broken).toBe(2);
    expect(report.verdicts.find((v) => v.sagaId === ids.completed)).toMatchObject({ valid: true, canContinue: true });
  });

  it('refuses a database without a sagaflow store, and does not create one', async () => {
    const run = await cli(['list', '--store', urlOf(databases.empty)]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('has no sagaflow tables');
    const client = await rawClient(urlOf(databases.empty));
    const { rows } = await client.query<{ present: boolean }>(`SELECT to_regnamespace('sagaflow') IS NOT NULL AS present`);
    await client.end();
    expect(rows[0]?.present).toBe(false);
  });
});
