/**
 * The sagas of the fault tests, loaded by real worker processes with
 * `sagaflow worker --sagas test/support/chaosSagas.ts`. Their participants live in the database
 * named by the CHAOS_PARTICIPANTS environment variable (`postgres://…` or `sqlite:<path>`),
 * opened on the first call, so a client that only starts sagas never connects to it.
 *
 * - chaos-transfer: debit(from) → credit(to), through the saga's own transit account; a credit
 *   to a closed account is rejected for good, and the debit is given back.
 * - chaos-order: reserve (stock → hold) → charge (wallet → paid) → ship (hold → shipped), each
 *   possibly rejected for good (`faults.permanentAt`).
 * Every step has a compensation (reverse whatever its key moved), so even an in-doubt step
 * that ran out of attempts is undone.
 */
import { z } from 'zod';
import { defineSaga } from '../../src/index.js';
import type { RetryPolicy } from '../../src/index.js';
import { openChaosDb } from './chaosDb.js';
import { ChaosParticipants, MAX_FAULTY_ATTEMPT, faultsSchema, type Faults, type Move } from './chaosParticipants.js';

let participants: ChaosParticipants | undefined;
function books(): ChaosParticipants {
  const url = process.env['CHAOS_PARTICIPANTS'];
  if (!url) throw new Error('CHAOS_PARTICIPANTS is not set: it names the participants database (postgres://… or sqlite:<path>)');
  participants ??= new ChaosParticipants(openChaosDb(url));
  return participants;
}

/**
 * Retries: quick, and far more attempts than injected faults (MAX_FAULTY_ATTEMPT) use, so that
 * attempts lost with a killed worker never exhaust a step, and compensations never park.
 */
const retry: Partial<RetryPolicy> = { immediateAttempts: 1, maxAttempts: MAX_FAULTY_ATTEMPT + 25, maxElapsedMs: 600_000, initialDelayMs: 20, maxDelayMs: 250 };
const compensationRetry: Partial<RetryPolicy> = { ...retry, maxAttempts: MAX_FAULTY_ATTEMPT + 40 };

type Ctx<TInput> = { sagaId: string; step: string; attempt: number; idempotencyKey: string; signal: AbortSignal; input: TInput };

/** A step that moves money or goods, with its compensation. */
function moving<TInput extends { faults: Faults }>(request: (ctx: Ctx<TInput>) => Move & { rejectIfClosed?: string }) {
  return {
    retry,
    compensationRetry,
    run: (ctx: Ctx<TInput>) => books().step(ctx, ctx.input.faults, request(ctx)),
    compensate: (ctx: Ctx<TInput>) => books().compensate(ctx, ctx.input.faults),
  };
}

export const transferInputSchema = z.object({ from: z.string(), to: z.string(), amount: z.number().int().positive(), faults: faultsSchema });
export type TransferInput = z.infer<typeof transferInputSchema>;
export const orderInputSchema = z.object({
  sku: z.string(),
  qty: z.number().int().positive(),
  customer: z.string(),
  price: z.number().int().positive(),
  faults: faultsSchema,
});
export type OrderInput = z.infer<typeof orderInputSchema>;

export const transit = (sagaId: string): string => `transit:${sagaId}`;
export const hold = (sagaId: string): string => `hold:${sagaId}`;
export const paid = (sagaId: string): string => `paid:${sagaId}`;
export const shipped = (sagaId: string): string => `shipped:${sagaId}`;

export const chaosTransfer = defineSaga({ name: 'chaos-transfer', input: transferInputSchema })
  .step(
    'debit',
    moving<TransferInput>(({ sagaId, input }) => ({ from: input.from, to: transit(sagaId), amount: input.amount })),
  )
  .step(
    'credit',
    moving<TransferInput>(({ sagaId, input }) => ({ from: transit(sagaId), to: input.to, amount: input.amount, rejectIfClosed: input.to })),
  );

export const chaosOrder = defineSaga({ name: 'chaos-order', input: orderInputSchema })
  .step(
    'reserve',
    moving<OrderInput>(({ sagaId, input }) => ({ from: `stock:${input.sku}`, to: hold(sagaId), amount: input.qty })),
  )
  .step(
    'charge',
    moving<OrderInput>(({ sagaId, input }) => ({ from: `wallet:${input.customer}`, to: paid(sagaId), amount: input.price })),
  )
  .step(
    'ship',
    moving<OrderInput>(({ sagaId, input }) => ({ from: hold(sagaId), to: shipped(sagaId), amount: input.qty })),
  );

export const sagas = [chaosTransfer, chaosOrder];
