/**
 * Real participants for the fault tests: a ledger of accounts in a database that outlives any
 * worker process. Every effect is a move of an amount between two accounts. Each call is
 * counted (`presentations`, committed on its own) and deduplicated by its idempotency key in
 * the same transaction as the effect (`applied` keeps the first outcome, `movements` the
 * money), as docs/failures.md asks of participants. A compensation reverses whatever the
 * step's key moved, or finds nothing to undo.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { PermanentError, TransientError, isSagaError, stepIdempotencyKey } from '../../src/index.js';
import type { ChaosDb, Query } from './chaosDb.js';

/** The faults of one saga, decided (seeded) by the test and carried in the saga's input. */
export const faultsSchema = z.object({
  seed: z.number().int(),
  /** Chance that an attempt (of a step or a compensation) fails transiently; only attempts 1–3 ever do. */
  transientRate: z.number().min(0).max(1),
  /** The step whose participant rejects it for good (applies nothing), if any. */
  permanentAt: z.string().nullable(),
  /** Time each call takes before its transaction, in ms. */
  latencyMs: z.number().int().nonnegative(),
});
export type Faults = z.infer<typeof faultsSchema>;

/** How many attempts (from the first) injected transient faults may hit; later ones always get through. */
export const MAX_FAULTY_ATTEMPT = 3;

/**
 * The seeded rule on (saga, key, attempt): 'before' fails the call before it reaches the
 * database; 'after' commits the effect and then loses the reply (the retry must be deduplicated).
 */
export function transientFault(faults: Faults, sagaId: string, key: string, attempt: number): 'before' | 'after' | null {
  if (attempt > MAX_FAULTY_ATTEMPT || faults.transientRate === 0) return null;
  const draw = createHash('sha256').update(`${faults.seed}|${sagaId}|${key}|${attempt}`).digest().readUInt32BE(0) / 2 ** 32;
  if (draw >= faults.transientRate) return null;
  return draw < faults.transientRate / 2 ? 'before' : 'after';
}

/** What a step asks its participant to do. */
export interface Move {
  from: string;
  to: string;
  amount: number;
}

interface CallContext {
  sagaId: string;
  step: string;
  attempt: number;
  idempotencyKey: string;
  signal: AbortSignal;
}

type Outcome = { outcome: 'applied' | 'rejected' | 'undone' | 'nothing'; result: string };

/** Moves `amount` from one account to another, locking rows in name order (no deadlocks). */
async function move(q: Query, key: string, sagaId: string, { from, to, amount }: Move): Promise<void> {
  const deltas: [string, number][] = [
    [from, -amount],
    [to, amount],
  ];
  deltas.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  for (const [account, delta] of deltas) {
    await q('INSERT INTO balances (account, balance) VALUES (?, ?) ON CONFLICT (account) DO UPDATE SET balance = balances.balance + excluded.balance', [
      account,
      delta,
    ]);
    await q('INSERT INTO movements (key, saga_id, account, delta) VALUES (?, ?, ?, ?)', [key, sagaId, account, delta]);
  }
}

export class ChaosParticipants {
  constructor(private readonly db: ChaosDb) {}

  /** The step's move, unless `faults.permanentAt` names this step or `rejectIfClosed` is a closed account. */
  async step(ctx: CallContext, faults: Faults, request: Move & { rejectIfClosed?: string }): Promise<{ seq: number }> {
    const done = await this.present(ctx, faults, 'step', async (q) => {
      if (faults.permanentAt === ctx.step) return { outcome: 'rejected', result: `${ctx.step} rejected (injected permanent failure)` };
      if (request.rejectIfClosed !== undefined) {
        const [row] = await q('SELECT closed FROM balances WHERE account = ?', [request.rejectIfClosed]);
        if (Number(row?.['closed'] ?? 0) === 1) return { outcome: 'rejected', result: `account ${request.rejectIfClosed} is closed` };
      }
      await move(q, ctx.idempotencyKey, ctx.sagaId, request);
      return { outcome: 'applied', result: `${request.from} -> ${request.to} ${request.amount}` };
    });
    return { seq: done.seq };
  }

  /** Reverses what the step's own key moved; nothing to undo when it moved nothing. */
  async compensate(ctx: CallContext, faults: Faults): Promise<void> {
    const stepKey = stepIdempotencyKey(ctx.sagaId, ctx.step);
    await this.present(ctx, faults, 'compensation', async (q) => {
      const moved = await q('SELECT account, delta FROM movements WHERE key = ? ORDER BY seq', [stepKey]);
      for (const row of moved) {
        await q('INSERT INTO balances (account, balance) VALUES (?, ?) ON CONFLICT (account) DO UPDATE SET balance = balances.balance + excluded.balance', [
          row['account'],
          -Number(row['delta']),
        ]);
        await q('INSERT INTO movements (key, saga_id, account, delta) VALUES (?, ?, ?, ?)', [
          ctx.idempotencyKey,
          ctx.sagaId,
          row['account'],
          -Number(row['delta']),
        ]);
      }
      return moved.length > 0
        ? { outcome: 'undone', result: `reversed ${moved.length} postings of ${stepKey}` }
        : { outcome: 'nothing', result: `${stepKey} moved nothing` };
    });
  }

  /** One call: counted, faults injected, deduplicated by key in the effect's transaction. */
  private async present(
    ctx: CallContext,
    faults: Faults,
    phase: 'step' | 'compensation',
    act: (q: Query) => Promise<Outcome>,
  ): Promise<Outcome & { seq: number }> {
    const { sagaId, idempotencyKey: key, attempt, signal } = ctx;
    try {
      await this.db.query('INSERT INTO presentations (key, attempt, pid) VALUES (?, ?, ?)', [key, attempt, process.pid]);
      const fault = transientFault(faults, sagaId, key, attempt);
      if (fault === 'before') throw new TransientError(`injected: ${key} attempt ${attempt} found the participant unavailable`);
      if (faults.latencyMs > 0) await sleep(faults.latencyMs, undefined, { signal });
      const done = await this.db.tx(async (q) => {
        const claimed = await q(
          "INSERT INTO applied (key, saga_id, op, outcome, attempt, pid) VALUES (?, ?, ?, 'pending', ?, ?) ON CONFLICT (key) DO NOTHING RETURNING seq",
          [key, sagaId, `${phase}:${ctx.step}`, attempt, process.pid],
        );
        if (claimed.length === 0) {
          // A repeat: the first outcome, and nothing applied again.
          const [row] = await q('SELECT seq, outcome, result FROM applied WHERE key = ?', [key]);
          return { seq: Number(row?.['seq']), outcome: row?.['outcome'] as Outcome['outcome'], result: String(row?.['result']) };
        }
        const outcome = await act(q);
        // An attempt aborted (timeout, fencing, shutdown) must not report, nor commit, success.
        signal.throwIfAborted();
        await q('UPDATE applied SET outcome = ?, result = ? WHERE key = ?', [outcome.outcome, outcome.result, key]);
        return { ...outcome, seq: Number(claimed[0]?.['seq']) };
      });
      if (fault === 'after') throw new TransientError(`injected: the reply to ${key} attempt ${attempt} was lost`);
      if (done.outcome === 'rejected') throw new PermanentError(done.result);
      return done;
    } catch (error) {
      if (isSagaError(error)) throw error;
      // The database went away, a deadlock, a lock timeout: nothing was committed; try again.
      throw new TransientError(`participant database error: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}
