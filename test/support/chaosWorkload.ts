/**
 * The seeded workload of the fault tests: opening balances, and a mix of transfers and orders
 * whose faults (transient rate, permanent rejections, closed accounts) are fixed by the seed.
 * Sagas are started with an idempotency key derived from the seed, so their ids, and with
 * them every injected fault, are the same on every run of a seed.
 */
import type { OrderInput, TransferInput } from './chaosSagas.js';

/** mulberry32: a small, good-enough seeded generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The seed: CHAOS_SEED to replay a run, otherwise a fixed one. */
export function chaosSeed(): number {
  const raw = process.env['CHAOS_SEED'];
  return raw === undefined ? 20_240_604 : Number.parseInt(raw, 10);
}

export const ACCOUNTS = Array.from({ length: 12 }, (_, i) => `acct-${i}`);
export const CLOSED_ACCOUNT = 'acct-closed';
export const SKUS = Array.from({ length: 6 }, (_, i) => `sku-${i}`);
export const CUSTOMERS = Array.from({ length: 10 }, (_, i) => `cust-${i}`);

/** Opening balances: enough that no debit, charge or reservation ever runs short. */
export function openingBalances(): Record<string, number> {
  const balances: Record<string, number> = { [CLOSED_ACCOUNT]: 0 };
  for (const a of ACCOUNTS) balances[a] = 10_000_000;
  for (const s of SKUS) balances[`stock:${s}`] = 1_000_000;
  for (const c of CUSTOMERS) balances[`wallet:${c}`] = 10_000_000;
  return balances;
}

export type PlannedSaga =
  | { key: string; name: 'chaos-transfer'; input: TransferInput; expect: 'completed' | 'compensated' }
  | { key: string; name: 'chaos-order'; input: OrderInput; expect: 'completed' | 'compensated' };

export interface WorkloadOptions {
  seed: number;
  count: number;
  /** Chance of a transient fault per attempt (attempts 1–3). */
  transientRate: number;
  /** Chance that a saga gets a permanent rejection (a closed account, or a rejected order step). */
  permanentRate: number;
  /** Participant latency per call: uniform in [0, latencyMs]. */
  latencyMs: number;
}

/** `count` sagas, alternating kinds at random, with their expected outcome. */
export function planWorkload(options: WorkloadOptions): PlannedSaga[] {
  const random = seededRandom(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  return Array.from({ length: options.count }, (_, i): PlannedSaga => {
    const permanent = random() < options.permanentRate;
    const faults = {
      seed: options.seed,
      transientRate: options.transientRate,
      permanentAt: null as string | null,
      latencyMs: Math.floor(random() * (options.latencyMs + 1)),
    };
    const key = `chaos-${options.seed}-${i}`;
    const expect = permanent ? 'compensated' : 'completed';
    if (random() < 0.5) {
      const from = pick(ACCOUNTS);
      const to = permanent ? CLOSED_ACCOUNT : pick(ACCOUNTS.filter((a) => a !== from));
      return { key, name: 'chaos-transfer', input: { from, to, amount: 1 + Math.floor(random() * 5_000), faults }, expect };
    }
    faults.permanentAt = permanent ? pick(['reserve', 'charge', 'ship']) : null;
    return {
      key,
      name: 'chaos-order',
      input: { sku: pick(SKUS), qty: 1 + Math.floor(random() * 5), customer: pick(CUSTOMERS), price: 100 + Math.floor(random() * 10_000), faults },
      expect,
    };
  });
}
