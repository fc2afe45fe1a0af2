import { describe, expect, it } from 'vitest';
import { createTicketHoldParticipants, createTicketHoldSaga } from '../../../sagas/index.js';
import { ofType, runSaga } from './sagaHarness.js';

const order = { orderId: 'o-1', show: 'Hamlet 2026-05-01', seats: 2 };

describe('ticket hold (a saga deadline, isolated retry budgets)', () => {
  it('holds the seats and issues a ticket per seat', async () => {
    const participants = createTicketHoldParticipants();
    const run = await runSaga(createTicketHoldSaga(participants), order);
    expect(run.result).toMatchObject({ status: 'completed', outputs: { issueTickets: { ticketIds: ['T-R1-1', 'T-R1-2'] } } });
    expect(run.violations).toEqual([]);
  });

  it('past its deadline the issuing is stopped at once (its signal fires) and the seats are released', async () => {
    const participants = createTicketHoldParticipants({ issueDelayMs: 5_000 });
    const startedAt = Date.now();
    const run = await runSaga(createTicketHoldSaga(participants, { deadlineMs: 150 }), order);
    expect(run.result.status).toBe('compensated');
    // Not after the 5 s issue: the deadline stopped it.
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    expect(participants.office.aborted).toEqual(['SAGA_CANCELLED']);
    expect(participants.office.issued).toEqual([]);
    expect(participants.seats.held.size).toBe(0);
    expect(ofType(run, 'SagaCancelRequested')[0]?.['reason']).toMatch(/deadline passed/);
    expect(run.violations).toEqual([]);
  });

  it("the seat hold's retries do not use up the release's: 3 failed holds, then 6 failed releases, still compensated", async () => {
    const participants = createTicketHoldParticipants({ issueDelayMs: 5_000 });
    participants.seats.failuresLeft.hold = 3; // 4 attempts allowed to hold
    participants.seats.failuresLeft.release = 6; // 8 allowed to release, counted apart
    const run = await runSaga(createTicketHoldSaga(participants, { deadlineMs: 400 }), order);
    expect(run.result.status).toBe('compensated');
    expect(participants.seats.calls).toEqual([...Array(4).fill('hold'), ...Array(7).fill('release')]);
    expect(ofType(run, 'CompensationStarted').map((d) => d['attempt'])).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(participants.seats.held.size).toBe(0);
    expect(run.violations).toEqual([]);
  });
});
