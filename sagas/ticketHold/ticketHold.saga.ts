/**
 * Ticket hold: hold seats → issue tickets, within a deadline. The saga must end by its
 * deadline (`deadlineMs`, 30 s by default): past it, the ticket office's issuing is stopped at
 * once (its `ctx.signal` fires with SagaCancelledError) and the held seats are released. An
 * `engine.cancel(sagaId, reason)` does the same. Each step and each compensation has a retry
 * budget of its own: the seat hold's retries never use up the retries of releasing the seats.
 */
import { defineSaga, stepIdempotencyKey } from '../../src/index.js';
import { seatHoldSchema, ticketInputSchema, ticketsSchema } from './ticketHold.messages.js';
import type { TicketHoldParticipants } from './ticketHold.participants.js';
import { createTicketHoldParticipants } from './ticketHold.participants.js';

/** The name the saga is started by. */
export const TICKET_HOLD = 'ticket-hold';

/** Options of {@link createTicketHoldSaga}. */
export interface TicketHoldOptions {
  /** How long the whole saga may take, in ms. @default 30_000 */
  deadlineMs?: number;
}

/** The ticket-hold saga wired to `participants` (a fresh set when omitted). */
export function createTicketHoldSaga(participants: TicketHoldParticipants = createTicketHoldParticipants(), options: TicketHoldOptions = {}) {
  const { seats, office } = participants;
  return defineSaga({ name: TICKET_HOLD, version: 1, input: ticketInputSchema, deadlineMs: options.deadlineMs ?? 30_000 })
    .step('holdSeats', {
      output: seatHoldSchema,
      // Its own budgets: 4 attempts to hold, and 8 to release, counted apart.
      retry: { immediateAttempts: 1, maxAttempts: 4, initialDelayMs: 2, maxDelayMs: 10, jitter: 'none' },
      compensationRetry: { immediateAttempts: 1, maxAttempts: 8, initialDelayMs: 2, maxDelayMs: 10, jitter: 'none' },
      run: (ctx) => seats.hold(ctx.idempotencyKey, ctx.input.seats),
      // The hold was made with the step's key (a compensation has a key of its own).
      compensate: (ctx) => seats.release(stepIdempotencyKey(ctx.sagaId, ctx.step)),
    })
    .step('issueTickets', {
      output: ticketsSchema,
      retry: { immediateAttempts: 1, maxAttempts: 2, initialDelayMs: 2, maxDelayMs: 10, jitter: 'none' },
      // The signal fires on a cancel or at the deadline: the issue stops there.
      run: (ctx) => office.issue(ctx.outputs.holdSeats.seats, ctx.signal),
    });
}

/** The definition type, with its typed outputs. */
export type TicketHoldSaga = ReturnType<typeof createTicketHoldSaga>;
