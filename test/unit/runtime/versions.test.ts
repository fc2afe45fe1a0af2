/**
 * Issue 11 item 5 on the in-memory store: the shared version cases (test/support/versionCases.ts,
 * also run on SQLite and PostgreSQL), then the edges: a newer version is left to workers that
 * have it, engine.migrate refuses what it cannot do, a failing migration parks, registration
 * checks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createInvoicingMigration, createInvoicingSagaV1, createInvoicingSagaV2, Billing, INVOICING } from '../../../sagas/index.js';
import { createEngine, defineMigration, Engine, sagaEvent } from '../../../src/index.js';
import { toNewEvents } from '../../../src/runtime/sagaStream.js';
import { createInMemoryEventStore } from '../../../src/stores/inMemory/index.js';
import { versionCases } from '../../support/versionCases.js';

describe('versioned definitions (in-memory store)', () => {
  versionCases(async () => {
    const store = createInMemoryEventStore();
    return { handle: async () => store, dispose: async () => {} };
  });
});

let engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.map((e) => e.close({ graceMs: 100 })));
  engines = [];
});
async function engine(options: Parameters<typeof createEngine>[0]): Promise<Engine> {
  const e = await createEngine({ leaseMs: 300, ...options });
  engines.push(e);
  return e;
}
const input = { invoiceId: 'i', customer: 'ada', amountCents: 100 };

describe('versioned definitions: edges', () => {
  it('a version newer than any this worker registers is left to workers that have it: not parked, not run', async () => {
    const store = createInMemoryEventStore();
    const billing = new Billing();
    const client = await engine({ store, sagas: [createInvoicingSagaV2({ billing })], runSagas: false });
    const { sagaId } = await client.start(INVOICING, input);
    const old = await engine({ store, sagas: [createInvoicingSagaV1({ billing })] });
    expect(old.recovered).toBe(1);
    await old.idle();
    expect((await old.events(sagaId)).map((e) => e.type)).toEqual(['SagaStarted']);
    expect(billing.operations('i')).toEqual([]);
  });

  it('engine.migrate refuses, appending nothing, without a declared path, for a compensating saga, and while a worker holds the attempt', async () => {
    const store = createInMemoryEventStore();
    const billing = new Billing();
    const v1 = createInvoicingSagaV1({ billing });
    const v2 = createInvoicingSagaV2({ billing });
    const client = await engine({ store, sagas: [v1, v2], runSagas: false });
    const { sagaId } = await client.start(INVOICING, input, { version: 1 });
    await expect(client.migrate(sagaId)).rejects.toMatchObject({ code: 'MIGRATION_NOT_APPLICABLE', details: { reason: 'no-path' } });

    const admin = await engine({ store, sagas: [v1, v2], migrations: [createInvoicingMigration(v2)], runSagas: false });
    await client.cancel(sagaId, 'changed my mind');
    // A cancelled saga still running (nothing planned yet) may move; plan its compensation first.
    await store.append(
      `saga-${sagaId}`,
      toNewEvents([sagaEvent('CompensationPlanned', { cause: 'cancel', failedStep: null, plan: [], at: Date.now() })], {}),
      1,
    );
    await expect(admin.migrate(sagaId)).rejects.toMatchObject({ code: 'MIGRATION_NOT_APPLICABLE', details: { reason: 'status' } });

    const hang = new Promise<void>(() => {});
    const held = createInvoicingSagaV1({ billing, beforeCharge: () => hang });
    const worker = await engine({ store, sagas: [held, v2], migrations: [createInvoicingMigration(v2)] });
    const { sagaId: running } = await worker.start(INVOICING, { ...input, invoiceId: 'held' }, { version: 1 });
    for (let i = 0; i < 200 && billing.operations('held').length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await expect(worker.migrate(running)).rejects.toMatchObject({ code: 'MIGRATION_NOT_APPLICABLE', details: { reason: 'lease' } });
    expect((await worker.events(running)).map((e) => e.type)).not.toContain('SagaMigrated');
  });

  it('a migration that throws, or returns what version 2 rejects, parks the saga with MIGRATION_FAILED and appends no SagaMigrated', async () => {
    for (const migrate of [
      () => {
        throw new Error('no mapping for this customer');
      },
      (old: { input: unknown }) => ({ input: { ...(old.input as object), currency: 'XXX' }, outputs: {} }),
    ]) {
      const store = createInMemoryEventStore();
      const billing = new Billing();
      const v2 = createInvoicingSagaV2({ billing });
      const client = await engine({ store, sagas: [createInvoicingSagaV1({ billing })], runSagas: false });
      const { sagaId } = await client.start(INVOICING, input);
      const worker = await engine({ store, sagas: [v2], migrations: [defineMigration({ saga: v2, from: 1, migrate: migrate as never })] });
      const result = await worker.result(sagaId);
      expect(result).toMatchObject({ status: 'failed', failure: { code: 'MIGRATION_FAILED' } });
      expect((result as { failure?: { message: string } }).failure?.message).toMatch(
        /invoicing 1 → 2\) failed: (migrate threw Error: no mapping|the migrated input does not fit version 2: currency)/,
      );
      expect((await worker.events(sagaId)).map((e) => e.type)).toEqual(['SagaStarted', 'SagaFailed']);
    }
  });

  it('checks migrations when they are declared and registered', () => {
    const v1 = createInvoicingSagaV1();
    const v2 = createInvoicingSagaV2();
    expect(() => defineMigration({ saga: v2, from: 0 })).toThrow(/from must be 1/);
    expect(() => defineMigration({ saga: v2, from: 1, to: 3 })).toThrow(/to must be 2/);
    expect(() => defineMigration({ saga: v1 as never, from: 0 })).toThrow(/version >= 2/);
    const store = createInMemoryEventStore();
    expect(() => new Engine({ store, sagas: [v1], migrations: [defineMigration({ saga: v2, from: 1 })] })).toThrow(
      /register its target definition invoicing@2/,
    );
  });

  it('start by name takes the newest version, or the one asked for; an unregistered version is refused', async () => {
    const store = createInMemoryEventStore();
    const client = await engine({ store, sagas: [createInvoicingSagaV1(), createInvoicingSagaV2()], runSagas: false });
    const { sagaId: newest } = await client.start(INVOICING, input);
    const { sagaId: first } = await client.start(INVOICING, input, { version: 1 });
    expect((await client.state(newest)).version).toBe(2);
    expect((await client.state(first)).version).toBe(1);
    await expect(client.start(INVOICING, input, { version: 3 })).rejects.toMatchObject({ code: 'SAGA_UNKNOWN' });
  });
});
