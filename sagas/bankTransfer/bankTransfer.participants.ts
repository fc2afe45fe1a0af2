/**
 * The bank of the bank-transfer saga: a ledger of accounts. Money only ever moves between
 * accounts, through a transit (suspense) account while a transfer is in flight, so the
 * ledger's total is the same before, during and after any transfer, whatever fails.
 */
import { Journal, Participant, ParticipantError } from '../shared/index.js';
import type { ParticipantOptions } from '../shared/index.js';
import type { Posting } from './bankTransfer.messages.js';

/** Where debited money waits until it is credited or given back. */
export const TRANSIT_ACCOUNT = '#transit';

/** One ledger account. */
export interface Account {
  balanceCents: number;
  open: boolean;
}

interface PostingRecord extends Posting {
  account: string;
  reversed: boolean;
}

type BankOperation = 'debit' | 'credit' | 'reverseDebit' | 'reverseCredit';

/** A ledger of accounts; every operation is a move, so `totalCents()` never changes. */
export class Bank extends Participant<BankOperation> {
  readonly accounts: Map<string, Account>;
  private readonly postings = new Map<string, PostingRecord>();

  constructor(accounts: Record<string, number>, closed: readonly string[], options?: ParticipantOptions) {
    super('bank', options);
    this.accounts = new Map(Object.entries(accounts).map(([id, balanceCents]) => [id, { balanceCents, open: !closed.includes(id) }]));
    this.accounts.set(TRANSIT_ACCOUNT, { balanceCents: 0, open: true });
  }

  /** The balance of `account` in cents (0 for an unknown one). */
  balance(account: string): number {
    return this.accounts.get(account)?.balanceCents ?? 0;
  }

  /** The sum of every balance, transit included: conserved by every operation. */
  totalCents(): number {
    return [...this.accounts.values()].reduce((sum, a) => sum + a.balanceCents, 0);
  }

  /** Closes an account: credits to it fail from now on. */
  close(account: string): void {
    const found = this.accounts.get(account);
    if (found) found.open = false;
  }

  /** Moves the amount from `account` to transit; unknown, closed or short accounts fail permanently. */
  debit(request: { key: string; account: string; amountCents: number }): Promise<Posting> {
    return this.act('debit', request.key, (partial) => {
      const account = this.usable(request.account, 'debit');
      if (account.balanceCents < request.amountCents)
        throw new ParticipantError('INSUFFICIENT_FUNDS', 'permanent', `${request.account} has ${account.balanceCents}, needs ${request.amountCents}`);
      // A partial fault posts the debit but loses the confirmation: the saga must give it back.
      return this.post('debit', request.key, request.account, TRANSIT_ACCOUNT, request.amountCents, partial !== undefined);
    });
  }

  /** Moves the amount from transit to `account`; an unknown or closed account fails permanently. */
  credit(request: { key: string; account: string; amountCents: number }): Promise<Posting> {
    return this.act('credit', request.key, (partial) => {
      this.usable(request.account, 'credit');
      return this.post('credit', request.key, TRANSIT_ACCOUNT, request.account, request.amountCents, partial !== undefined);
    });
  }

  /** Gives back what the debit under `debitKey` took, if it took anything. */
  reverseDebit(request: { key: string; debitKey: string }): Promise<void> {
    return this.undo('reverseDebit', request.key, () => this.reverse('reverseDebit', request.key, request.debitKey, 'to'));
  }

  /** Takes back what the credit under `creditKey` gave, if it gave anything. */
  reverseCredit(request: { key: string; creditKey: string }): Promise<void> {
    return this.undo('reverseCredit', request.key, () => this.reverse('reverseCredit', request.key, request.creditKey, 'from'));
  }

  private usable(id: string, what: string): Account {
    const account = this.accounts.get(id);
    if (!account || id === TRANSIT_ACCOUNT) throw new ParticipantError('ACCOUNT_UNKNOWN', 'permanent', `cannot ${what} unknown account ${id}`);
    if (!account.open) throw new ParticipantError('ACCOUNT_CLOSED', 'permanent', `cannot ${what} closed account ${id}`);
    return account;
  }

  private move(from: string, to: string, amountCents: number): void {
    (this.accounts.get(from) as Account).balanceCents -= amountCents;
    (this.accounts.get(to) as Account).balanceCents += amountCents;
  }

  private post(operation: 'debit' | 'credit', key: string, from: string, to: string, amountCents: number, partial: boolean): Posting {
    this.move(from, to, amountCents);
    const record = { postingId: `${operation}-${this.postings.size + 1}`, amountCents, account: operation === 'debit' ? from : to, reversed: false };
    this.postings.set(key, record);
    this.record(operation, key, partial ? 'partial' : 'applied', `${from} → ${to} ${amountCents}`);
    return { postingId: record.postingId, amountCents };
  }

  /** Undoes a posting: a debit's money goes back `to` its account, a credit's comes back `from` it. */
  private reverse(operation: BankOperation, key: string, postingKey: string, direction: 'to' | 'from'): void {
    const posting = this.postings.get(postingKey);
    if (!posting || posting.reversed) {
      this.record(operation, key, 'nothing-to-undo');
      return;
    }
    // A reversal must succeed even if the account closed meanwhile: the money was never its to keep.
    if (direction === 'to') this.move(TRANSIT_ACCOUNT, posting.account, posting.amountCents);
    else this.move(posting.account, TRANSIT_ACCOUNT, posting.amountCents);
    posting.reversed = true;
    this.record(operation, key, 'undone', `${posting.postingId} ${posting.amountCents}`);
  }
}

/** What the bank-transfer saga talks to. */
export interface BankTransferParticipants {
  bank: Bank;
  journal: Journal;
}

/** Options of {@link createBankTransferParticipants}. */
export interface BankTransferParticipantsOptions {
  /** Opening balances in cents. @default { alice: 10_000, bob: 5_000, carol: 0 } */
  accounts?: Record<string, number>;
  /** Accounts that exist but are closed. @default ['carol'] */
  closed?: readonly string[];
  latencyMs?: number;
}

/** A fresh bank. */
export function createBankTransferParticipants(options: BankTransferParticipantsOptions = {}): BankTransferParticipants {
  const journal = new Journal();
  const bank = new Bank(options.accounts ?? { alice: 10_000, bob: 5_000, carol: 0 }, options.closed ?? ['carol'], {
    journal,
    latencyMs: options.latencyMs ?? 0,
  });
  return { bank, journal };
}
