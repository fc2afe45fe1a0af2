import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TRANSIT_ACCOUNT, createBankTransferParticipants, createBankTransferSaga } from '../../../sagas/index.js';
import type { Fault, TransferInput } from '../../../sagas/index.js';
import { FAST, runSaga } from './sagaHarness.js';

const transfer: TransferInput = { transferId: 'tr-1', from: 'alice', to: 'bob', amountCents: 3_000 };

function setup() {
  const participants = createBankTransferParticipants({ accounts: { alice: 10_000, bob: 5_000, carol: 0 }, closed: ['carol'] });
  return { ...participants, saga: createBankTransferSaga(participants, FAST) };
}

describe('bank transfer', () => {
  it('moves the money and conserves the total', async () => {
    const { bank, saga } = setup();
    const run = await runSaga(saga, transfer);
    expect(run.result.status).toBe('completed');
    expect([bank.balance('alice'), bank.balance('bob'), bank.balance(TRANSIT_ACCOUNT)]).toEqual([7_000, 8_000, 0]);
    expect(bank.totalCents()).toBe(15_000);
  });

  it.each([
    ['closed', 'carol', 'ACCOUNT_CLOSED'],
    ['unknown', 'mallory', 'ACCOUNT_UNKNOWN'],
  ])('gives the debit back when the credit account is %s', async (_, to, code) => {
    const { bank, journal, saga } = setup();
    const run = await runSaga(saga, { ...transfer, to });
    expect(run.result).toMatchObject({ status: 'compensated', compensated: ['debit'], failure: { step: 'credit', kind: 'permanent', code } });
    expect(journal.operations()).toEqual(['bank.debit', 'bank.reverseDebit']);
    expect([bank.balance('alice'), bank.balance(to), bank.balance(TRANSIT_ACCOUNT)]).toEqual([10_000, 0, 0]);
    expect(bank.totalCents()).toBe(15_000);
    expect(run.violations).toEqual([]);
  });

  it('touches nothing when the debit is refused for insufficient funds', async () => {
    const { bank, journal, saga } = setup();
    const run = await runSaga(saga, { ...transfer, amountCents: 20_000 });
    expect(run.result).toMatchObject({ status: 'compensated', compensated: [], failure: { code: 'INSUFFICIENT_FUNDS' } });
    expect(journal.entries).toEqual([]);
    expect(bank.balance('alice')).toBe(10_000);
  });

  it('reverses a partially applied credit, then the debit', async () => {
    const { bank, journal, saga } = setup();
    bank.faults.inject('credit', { kind: 'partial', times: 1 });
    const run = await runSaga(saga, transfer);
    expect(run.result).toMatchObject({ status: 'compensated', compensated: ['credit', 'debit'] });
    expect(journal.operations()).toEqual(['bank.debit', 'bank.credit', 'bank.reverseCredit', 'bank.reverseDebit']);
    expect([bank.balance('alice'), bank.balance('bob'), bank.totalCents()]).toEqual([10_000, 5_000, 15_000]);
  });

  it('keeps the money in transit, and the total intact, when the saga is parked', async () => {
    const { bank, saga } = setup();
    bank.close('bob');
    bank.faults.inject('reverseDebit', { kind: 'permanent', code: 'LEDGER_LOCKED' });
    const run = await runSaga(saga, transfer);
    expect(run.result).toMatchObject({ status: 'failed', needsAttention: true });
    expect([bank.balance('alice'), bank.balance(TRANSIT_ACCOUNT), bank.totalCents()]).toEqual([7_000, 3_000, 15_000]);
  });

  it('conserves the total whatever fails, and ends with the money in exactly one place', async () => {
    const faultArb = fc.oneof(
      fc.constant(undefined),
      fc.record({ kind: fc.constant('transient' as const), times: fc.integer({ min: 1, max: 5 }) }),
      fc.constant<Fault>({ kind: 'permanent' }),
      fc.constant<Fault>({ kind: 'partial', times: 1 }),
    );
    const ops = ['debit', 'credit', 'reverseDebit', 'reverseCredit'] as const;
    await fc.assert(
      fc.asyncProperty(fc.tuple(faultArb, faultArb, faultArb, faultArb), fc.constantFrom('bob', 'carol', 'nobody'), async (faults, to) => {
        const { bank, saga } = setup();
        for (const [i, fault] of faults.entries()) if (fault) bank.faults.inject(ops[i] as (typeof ops)[number], fault);
        const run = await runSaga(saga, { ...transfer, to });
        expect(run.violations).toEqual([]);
        expect(bank.totalCents()).toBe(15_000);
        const [alice, transit, bob] = [bank.balance('alice'), bank.balance(TRANSIT_ACCOUNT), bank.balance('bob')];
        if (run.result.status === 'completed') expect([alice, transit, bob]).toEqual([7_000, 0, 8_000]);
        if (run.result.status === 'compensated') expect([alice, transit, bob]).toEqual([10_000, 0, 5_000]);
      }),
      { numRuns: 60 },
    );
  });

  it('debits once when the same key arrives twice, and reverses once', async () => {
    const { bank } = setup();
    await bank.debit({ key: 's/debit', account: 'alice', amountCents: 100 });
    await bank.debit({ key: 's/debit', account: 'alice', amountCents: 100 });
    await bank.reverseDebit({ key: 's/debit/compensate', debitKey: 's/debit' });
    await bank.reverseDebit({ key: 's/debit/compensate', debitKey: 's/debit' });
    expect([bank.balance('alice'), bank.balance(TRANSIT_ACCOUNT)]).toEqual([10_000, 0]);
    expect(bank.journal.entries.map((e) => e.effect)).toEqual(['applied', 'undone']);
  });
});
