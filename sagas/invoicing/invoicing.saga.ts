/**
 * Invoicing, in two versions, and the migration between them: the example of versioned
 * definitions. Version 1 issues an invoice and charges it (amounts implicitly in euros).
 * Version 2 makes the currency explicit and sends a receipt after the charge. Both are
 * registered side by side while version 1 sagas run (`sagas: [v1, v2]`); the migration moves
 * the stragglers forward once version 1 is no longer deployed (`sagas: [v2], migrations: [m]`).
 */
import { defineMigration, defineSaga } from '../../src/index.js';
import type { ExampleSagaOptions } from '../shared/index.js';
import { stepPolicies } from '../shared/index.js';
import { chargeV1Schema, chargeV2Schema, invoiceInputV1Schema, invoiceInputV2Schema, issuedSchema, receiptSchema } from './invoicing.messages.js';
import type { InvoicingParticipants } from './invoicing.participants.js';
import { createInvoicingParticipants } from './invoicing.participants.js';

/** The name both versions are started by. */
export const INVOICING = 'invoicing';

/** Version 1: issue → charge. */
export function createInvoicingSagaV1(participants: InvoicingParticipants = createInvoicingParticipants(), options: ExampleSagaOptions = {}) {
  const { billing } = participants;
  return defineSaga({ name: INVOICING, version: 1, input: invoiceInputV1Schema })
    .step('issue', {
      ...stepPolicies(options),
      output: issuedSchema,
      run: (ctx) => billing.issue(ctx.idempotencyKey, ctx.input.invoiceId, 1),
      compensate: (ctx) => billing.void(ctx.idempotencyKey, ctx.input.invoiceId, 1),
    })
    .step('charge', {
      ...stepPolicies(options),
      output: chargeV1Schema,
      run: async (ctx) => {
        await participants.beforeCharge?.(ctx.input.invoiceId);
        return billing.charge(ctx.idempotencyKey, ctx.input.invoiceId, ctx.input.amountCents, 1);
      },
      compensate: (ctx) => billing.refund(ctx.idempotencyKey, ctx.input.invoiceId, 1),
    });
}

/** Version 2: issue → charge (with its currency) → receipt. */
export function createInvoicingSagaV2(participants: InvoicingParticipants = createInvoicingParticipants(), options: ExampleSagaOptions = {}) {
  const { billing } = participants;
  return defineSaga({ name: INVOICING, version: 2, input: invoiceInputV2Schema })
    .step('issue', {
      ...stepPolicies(options),
      output: issuedSchema,
      run: (ctx) => billing.issue(ctx.idempotencyKey, ctx.input.invoiceId, 2),
      compensate: (ctx) => billing.void(ctx.idempotencyKey, ctx.input.invoiceId, 2),
    })
    .step('charge', {
      ...stepPolicies(options),
      output: chargeV2Schema,
      run: async (ctx) => {
        await participants.beforeCharge?.(ctx.input.invoiceId);
        return { ...billing.charge(ctx.idempotencyKey, ctx.input.invoiceId, ctx.input.amountCents, 2), currency: ctx.input.currency };
      },
      compensate: (ctx) => billing.refund(ctx.idempotencyKey, ctx.input.invoiceId, 2),
    })
    .step('receipt', {
      ...stepPolicies(options),
      output: receiptSchema,
      // Reads the charge's currency: for a saga migrated from version 1, the migration's upcast.
      run: (ctx) => ({
        ...billing.receipt(ctx.idempotencyKey, ctx.input.invoiceId, 2),
        total: `${(ctx.outputs.charge.amountCents / 100).toFixed(2)} ${ctx.outputs.charge.currency}`,
      }),
    });
}

/** The definition types, with their typed outputs. */
export type InvoicingSagaV1 = ReturnType<typeof createInvoicingSagaV1>;
export type InvoicingSagaV2 = ReturnType<typeof createInvoicingSagaV2>;

/**
 * Version 1 → 2: version 1 charged in euros, so the input and a recorded charge get
 * `currency: 'EUR'`. The steps keep their names, so a charge in doubt when the saga migrates is
 * retried as version 2's charge with the same idempotency key (the billing service charges once).
 */
export function createInvoicingMigration(v2: InvoicingSagaV2) {
  return defineMigration({
    saga: v2,
    from: 1,
    to: 2,
    migrate: (old) => {
      const input = old.input as { invoiceId: string; customer: string; amountCents: number };
      const charge = old.outputs['charge'] as { chargeId: string; amountCents: number } | undefined;
      return {
        input: { ...input, currency: 'EUR' as const },
        outputs: {
          ...(old.outputs['issue'] === undefined ? {} : { issue: old.outputs['issue'] as { invoiceNumber: string } }),
          ...(charge === undefined ? {} : { charge: { ...charge, currency: 'EUR' as const } }),
        },
      };
    },
  });
}
