/**
 * Issue 11 item 5 on a real store: versioned definitions that never strand a running saga.
 * The invoicing example (sagas/invoicing) in two versions and its migration, run by real
 * engines: an old client beside a new worker, a migration recorded and replayed, a version no
 * one registers parked naming the ones that are, and a restart with only the new version.
 */
import { afterEach, expect, it } from 'vitest';
import { fold, parseSagaEvent, versionViolations } from '../../src/core/index.js';
import type { SagaEvent } from '../../src/core/index.js';
import { createEngine } from '../../src/runtime/engine.js';
import type { Engine } from '../../src/runtime/engine.js';
import type { EventStore } from '../../src/stores/eventStore.js';
import { killEngine } from '../../src/testing/killEngine.js';
import { Billing, createInvoicingMigration, createInvoicingSagaV1, createInvoicingSagaV2, INVOICING, type InvoicingParticipants } from '../../sagas/index.js';

/** A store under test: `handle()` opens another handle on the same data (a process of its own). */
export interface VersionStore {
  handle(): Promise<EventStore>;
  dispose(): Promise<void>;
}

const FAST = { retry: { immediateAttempts: 1, maxAttempts: 4, initialDelayMs: 2, maxDelayMs: 10, jitter: 'none' as const } };

/** A step that waits until the gate opens; `entered` counts the waits. */
function gate(): { wait(): Promise<void>; open(): void; entered: number } {
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  const g = {
    entered: 0,
    wait: async () => {
      g.entered++;
      await opened;
    },
    open: () => release(),
  };
  return g;
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function eventsOf(store: EventStore, sagaId: string): Promise<SagaEvent[]> {
  return (await store.readStream(`saga-${sagaId}`)).map((e) => parseSagaEvent(e, e));
}

const invoice = (invoiceId: string) => ({ invoiceId, customer: 'ada', amountCents: 1_200 });

/** Registers the cases for one store; `open` makes a fresh, empty store per case. */
export function versionCases(open: () => Promise<VersionStore>): void {
  const engines: Engine[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close({ graceMs: 100 })));
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function fresh(): Promise<VersionStore> {
    const s = await open();
    cleanups.push(() => s.dispose());
    return s;
  }
  async function engine(options: Parameters<typeof createEngine>[0]): Promise<Engine> {
    const e = await createEngine({ leaseMs: 300, ...options });
    engines.push(e);
    return e;
  }

  it('a version 1 saga started by an old client finishes on version 1 steps beside version 2, which new starts use', async () => {
    const { handle } = await fresh();
    const store = await handle();
    const billing = new Billing();
    const v1 = createInvoicingSagaV1({ billing }, FAST);
    const v2 = createInvoicingSagaV2({ billing }, FAST);
    const client = await engine({ store, sagas: [v1], runSagas: false });
    const { sagaId: old } = await client.start(INVOICING, invoice('old'));
    const worker = await engine({ store, sagas: [v1, v2] });
    const { sagaId: next } = await worker.start(INVOICING, { ...invoice('new'), currency: 'USD' });
    const { sagaId: pinned } = await worker.start(INVOICING, invoice('pinned'), { version: 1 });

    expect(await worker.result(old)).toMatchObject({ status: 'completed', outputs: { charge: { amountCents: 1_200 } } });
    expect(await worker.result(next)).toMatchObject({ status: 'completed', outputs: { receipt: { total: '12.00 USD' } } });
    expect(await worker.result(pinned)).toMatchObject({ status: 'completed' });
    expect(billing.operations('old')).toEqual(['issue@1', 'charge@1']);
    expect(billing.operations('new')).toEqual(['issue@2', 'charge@2', 'receipt@2']);
    expect(billing.operations('pinned')).toEqual(['issue@1', 'charge@1']);
    for (const id of [old, pinned]) {
      const events = await eventsOf(store, id);
      expect(events.map((e) => e.type)).not.toContain('SagaMigrated');
      expect(fold(events)?.version).toBe(1);
    }
  });

  it('engine.migrate records SagaMigrated; the saga then runs version 2 with the upcast input, and a replay shows the move', async () => {
    const { handle } = await fresh();
    const store = await handle();
    const billing = new Billing();
    const v1 = createInvoicingSagaV1({ billing }, FAST);
    const v2 = createInvoicingSagaV2({ billing }, FAST);
    const client = await engine({ store, sagas: [v1], runSagas: false });
    const { sagaId } = await client.start(INVOICING, invoice('moved'));
    const admin = await engine({ store, sagas: [v1, v2], migrations: [createInvoicingMigration(v2)], runSagas: false });
    expect(await admin.migrate(sagaId)).toEqual({ migrated: true, from: 1, to: 2 });
    expect(await admin.migrate(sagaId)).toEqual({ migrated: false, from: 2, to: 2 });

    const worker = await engine({ store, sagas: [v2] });
    expect(await worker.result(sagaId)).toMatchObject({ status: 'completed', outputs: { receipt: { total: '12.00 EUR' } } });
    expect(billing.operations('moved')).toEqual(['issue@2', 'charge@2', 'receipt@2']);

    const replay = await admin.replay(sagaId);
    expect(replay.events.map((e) => e.type).slice(0, 2)).toEqual(['SagaStarted', 'SagaMigrated']);
    expect(replay.events[1]?.data).toMatchObject({ from: 1, to: 2, input: { currency: 'EUR' }, succeeded: [] });
    expect(replay.state).toMatchObject({ version: 2, status: 'completed', input: { invoiceId: 'moved', currency: 'EUR' } });
    expect(replay.violations).toEqual([]);
    expect(versionViolations(await eventsOf(store, sagaId))).toEqual([]);
    expect((await admin.replay(sagaId, { toRevision: 0 })).state?.version).toBe(1);
  });

  it('a stream whose version no one registers, with no migration, parks naming the registered versions; resume after registering it finishes it', async () => {
    const { handle } = await fresh();
    const store = await handle();
    const billing = new Billing();
    const v1 = createInvoicingSagaV1({ billing }, FAST);
    const v2 = createInvoicingSagaV2({ billing }, FAST);
    const client = await engine({ store, sagas: [v1], runSagas: false });
    const { sagaId } = await client.start(INVOICING, invoice('stranded'));
    const onlyV2 = await engine({ store, sagas: [v2] });
    const parked = await onlyV2.result(sagaId);
    expect(parked).toMatchObject({ status: 'failed', failure: { kind: 'parked', code: 'DEFINITION_VERSION_NOT_REGISTERED' } });
    expect((parked as { failure?: { message: string } }).failure?.message).toMatch(
      /invoicing@1, which this engine does not register \(registered versions of invoicing: 2\)/,
    );
    await expect(onlyV2.outputs(sagaId)).rejects.toMatchObject({ code: 'SAGA_PARKED' });
    expect(billing.operations('stranded')).toEqual([]);
    await onlyV2.close();

    const both = await engine({ store, sagas: [v1, v2] });
    expect(await both.resume(sagaId)).toBe(true);
    await until(() => billing.operations('stranded').length === 2, 'the resumed saga to run');
    expect(await both.result(sagaId)).toMatchObject({ status: 'completed' });
    expect(billing.operations('stranded')).toEqual(['issue@1', 'charge@1']);
    expect(fold(await eventsOf(store, sagaId))?.version).toBe(1);
  });

  it('a worker restarted with only version 2 and the migration moves a version 1 stream forward: the in-doubt step runs as version 2’s', async () => {
    const { handle } = await fresh();
    const billing = new Billing();
    const hang = gate();
    const oldParticipants: InvoicingParticipants = { billing, beforeCharge: () => hang.wait() };
    const first = await handle();
    const oldWorker = await engine({ store: first, sagas: [createInvoicingSagaV1(oldParticipants, FAST)] });
    const { sagaId } = await oldWorker.start(INVOICING, invoice('restarted'));
    await until(() => hang.entered === 1, 'version 1 to start the charge');
    killEngine(oldWorker);
    engines.splice(engines.indexOf(oldWorker), 1);

    const v2 = createInvoicingSagaV2({ billing }, FAST);
    const store = await handle();
    const restarted = await engine({ store, sagas: [v2], migrations: [createInvoicingMigration(v2)] });
    expect(restarted.recovered).toBe(1);
    expect(await restarted.result(sagaId)).toMatchObject({ status: 'completed', outputs: { receipt: { total: '12.00 EUR' } } });
    hang.open();
    expect(billing.operations('restarted')).toEqual(['issue@1', 'charge@2', 'receipt@2']);

    const events = await eventsOf(store, sagaId);
    const migrated = events.find((e) => e.type === 'SagaMigrated');
    expect(migrated?.data).toMatchObject({
      from: 1,
      to: 2,
      succeeded: ['issue'],
      steps: [{ name: 'issue' }, { name: 'charge', attempts: 1 }, { name: 'receipt' }],
    });
    const charges = events.flatMap((e) => (e.type === 'StepStarted' && e.data.step === 'charge' ? [e.data.attempt] : []));
    expect(charges).toEqual([1, 2]);
    expect(versionViolations(events)).toEqual([]);
    expect(fold(events)).toMatchObject({ version: 2, status: 'completed' });
  });
}
