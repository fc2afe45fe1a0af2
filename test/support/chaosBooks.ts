/**
 * Checks on the participants' books after a fault test: the ledger total is conserved and
 * every balance is explained by the movement log; every idempotency key moved money at most
 * once although it was presented more often; a completed saga moved exactly its amounts once,
 * a compensated one netted to zero; compensations ran in the plan's (reverse) order.
 */
import { compensationIdempotencyKey, stepIdempotencyKey } from '../../src/index.js';
import type { SagaState } from '../../src/index.js';
import type { ChaosDb } from './chaosDb.js';
import { hold, paid, shipped, transit } from './chaosSagas.js';
import type { PlannedSaga } from './chaosWorkload.js';

export interface BookFigures {
  /** Calls the participants received (every attempt of every step and compensation). */
  presented: number;
  /** Keys whose effect (or rejection) was recorded: each at most once. */
  applied: number;
  /** Presentations of keys already applied: the deduplicated repeats. */
  repeats: number;
}

interface Applied {
  seq: number;
  outcome: string;
}

/** What a saga's accounts must net to, given how it ended. */
function expectedNets(sagaId: string, planned: PlannedSaga, status: string): Map<string, number> {
  const nets = new Map<string, number>();
  if (status !== 'completed') return nets;
  if (planned.name === 'chaos-transfer') {
    nets.set(planned.input.from, -planned.input.amount).set(planned.input.to, planned.input.amount);
  } else {
    const { sku, qty, customer, price } = planned.input;
    nets.set(`stock:${sku}`, -qty).set(shipped(sagaId), qty).set(`wallet:${customer}`, -price).set(paid(sagaId), price);
  }
  return nets;
}

export async function checkBooks(
  db: ChaosDb,
  sagas: Map<string, { planned: PlannedSaga; state: SagaState }>,
  opening: Record<string, number>,
): Promise<{ problems: string[]; figures: BookFigures }> {
  const problems: string[] = [];
  const balances = await db.query('SELECT account, balance FROM balances');
  const movements = await db.query('SELECT key, saga_id, account, delta FROM movements ORDER BY seq');
  const appliedRows = await db.query('SELECT seq, key, outcome FROM applied');
  const presentedRows = await db.query('SELECT key, COUNT(*) AS n FROM presentations GROUP BY key');

  // The ledger: conserved in total, and every balance is its opening plus its movements.
  const total = balances.reduce((sum, r) => sum + Number(r['balance']), 0);
  const openingTotal = Object.values(opening).reduce((a, b) => a + b, 0);
  if (total !== openingTotal) problems.push(`ledger: the balances sum to ${total}, the opening balances to ${openingTotal}: money was created or lost`);
  const moved = new Map<string, number>();
  for (const m of movements) moved.set(String(m['account']), (moved.get(String(m['account'])) ?? 0) + Number(m['delta']));
  for (const r of balances) {
    const account = String(r['account']);
    const explained = (opening[account] ?? 0) + (moved.get(account) ?? 0);
    if (Number(r['balance']) !== explained)
      problems.push(`ledger: account ${account} holds ${Number(r['balance'])}, its opening balance and movements explain ${explained}`);
  }

  // At most once per key: one recorded outcome, and one move (two postings) for an applied key.
  const applied = new Map<string, Applied>(appliedRows.map((r) => [String(r['key']), { seq: Number(r['seq']), outcome: String(r['outcome']) }]));
  const postings = new Map<string, number>();
  for (const m of movements) postings.set(String(m['key']), (postings.get(String(m['key'])) ?? 0) + 1);
  for (const [key, count] of postings) {
    const outcome = applied.get(key)?.outcome;
    if (outcome !== 'applied' && outcome !== 'undone')
      problems.push(`participant: key ${key} moved money (${count} postings) but its recorded outcome is ${outcome ?? 'missing'}`);
    else if (count !== 2) problems.push(`participant: the effect of key ${key} was applied ${count / 2} times (${count} postings)`);
  }
  for (const [key, a] of applied) {
    if ((a.outcome === 'applied' || a.outcome === 'undone') && !postings.has(key))
      problems.push(`participant: key ${key} is recorded as ${a.outcome} but moved nothing`);
    if (a.outcome === 'pending') problems.push(`participant: key ${key} committed without an outcome`);
  }
  const presented = new Map(presentedRows.map((r) => [String(r['key']), Number(r['n'])]));
  for (const key of applied.keys()) if (!presented.has(key)) problems.push(`participant: key ${key} applied but never presented`);
  const figures: BookFigures = {
    presented: [...presented.values()].reduce((a, b) => a + b, 0),
    applied: applied.size,
    repeats: [...presented].reduce((sum, [key, n]) => sum + (applied.has(key) ? n - 1 : n), 0),
  };

  const nets = new Map<string, Map<string, number>>();
  for (const m of movements) {
    const saga = nets.get(String(m['saga_id'])) ?? new Map<string, number>();
    saga.set(String(m['account']), (saga.get(String(m['account'])) ?? 0) + Number(m['delta']));
    nets.set(String(m['saga_id']), saga);
  }
  for (const [sagaId, { planned, state }] of sagas) {
    const where = `saga ${sagaId} (${state.saga}, ${state.status})`;
    // Money: a completed saga moved its amounts exactly once, a compensated one nets to zero.
    const expected = expectedNets(sagaId, planned, state.status);
    const actual = nets.get(sagaId) ?? new Map<string, number>();
    for (const account of new Set([...expected.keys(), ...actual.keys()])) {
      const want = expected.get(account) ?? 0;
      const got = actual.get(account) ?? 0;
      if (want !== got) problems.push(`${where}: account ${account} nets ${got}, expected ${want}`);
    }
    for (const step of state.succeeded) {
      const outcome = applied.get(stepIdempotencyKey(sagaId, step))?.outcome;
      if (outcome !== 'applied') problems.push(`${where}: step ${step} succeeded in the stream, but the participant recorded ${outcome ?? 'nothing'}`);
    }
    for (const step of state.steps.filter((s) => s.status === 'failed').map((s) => s.name)) {
      const outcome = applied.get(stepIdempotencyKey(sagaId, step))?.outcome;
      if (outcome === 'applied' && !state.compensation?.plan.includes(step))
        problems.push(`${where}: step ${step} failed in the stream, yet its effect stayed applied`);
    }
    // Compensations in the participants' log: exactly the plan, in its (reverse) order, each after its step.
    const plan = state.compensation?.plan ?? [];
    const ran = state.steps
      .map((s) => ({ step: s.name, row: applied.get(compensationIdempotencyKey(sagaId, s.name)) }))
      .filter((c): c is { step: string; row: Applied } => c.row !== undefined)
      .sort((a, b) => a.row.seq - b.row.seq);
    if (JSON.stringify(ran.map((c) => c.step)) !== JSON.stringify(state.status === 'compensated' ? plan : [])) {
      problems.push(`${where}: the participants ran compensations [${ran.map((c) => c.step).join(', ')}] in this order; the plan is [${plan.join(', ')}]`);
    }
    for (const c of ran) {
      const stepRow = applied.get(stepIdempotencyKey(sagaId, c.step));
      if (stepRow && stepRow.seq > c.row.seq) problems.push(`${where}: the compensation of ${c.step} was recorded before the step itself`);
    }
    for (const account of [transit(sagaId), hold(sagaId)])
      if ((actual.get(account) ?? 0) !== 0) problems.push(`${where}: ${account} still holds ${actual.get(account)}`);
  }
  return { problems, figures };
}
