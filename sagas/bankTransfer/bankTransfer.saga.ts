/**
 * Bank transfer: debit → credit. A credit that cannot be made (closed or unknown account: a
 * permanent failure) gives the debited money back, so no money is ever lost or created.
 */
import { defineSaga, stepIdempotencyKey } from '../../src/index.js';
import { classifyParticipantError, stepPolicies } from '../shared/index.js';
import type { ExampleSagaOptions } from '../shared/index.js';
import { postingSchema, transferInputSchema } from './bankTransfer.messages.js';
import type { BankTransferParticipants } from './bankTransfer.participants.js';
import { createBankTransferParticipants } from './bankTransfer.participants.js';

/** The name the saga is started by. */
export const BANK_TRANSFER = 'bank-transfer';

/** The bank-transfer saga wired to `participants` (a fresh default bank when omitted). */
export function createBankTransferSaga(participants: BankTransferParticipants = createBankTransferParticipants(), options: ExampleSagaOptions = {}) {
  const { bank } = participants;
  const policies = stepPolicies(options);
  return defineSaga({ name: BANK_TRANSFER, version: 1, input: transferInputSchema, classify: classifyParticipantError })
    .step('debit', {
      ...policies,
      output: postingSchema,
      run: (ctx) => bank.debit({ key: ctx.idempotencyKey, account: ctx.input.from, amountCents: ctx.input.amountCents }),
      compensate: (ctx) => bank.reverseDebit({ key: ctx.idempotencyKey, debitKey: stepIdempotencyKey(ctx.sagaId, ctx.step) }),
    })
    .step('credit', {
      ...policies,
      output: postingSchema,
      run: (ctx) => bank.credit({ key: ctx.idempotencyKey, account: ctx.input.to, amountCents: ctx.input.amountCents }),
      // Runs only when the credit failed partially: the money reached the account but the bank
      // could not confirm it, and the debit is about to be given back.
      compensate: (ctx) => bank.reverseCredit({ key: ctx.idempotencyKey, creditKey: stepIdempotencyKey(ctx.sagaId, ctx.step) }),
    });
}

/** The definition type, with its typed outputs. */
export type BankTransferSaga = ReturnType<typeof createBankTransferSaga>;
