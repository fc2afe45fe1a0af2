/**
 * Property runs: 1,000 by default (CI), FC_RUNS to change it. fast-check prints the seed and
 * the shrunk counterexample of a failure; FC_SEED replays one.
 */
import fc from 'fast-check';

export function propertyRuns(fallback: number): number {
  const seed = process.env['FC_SEED'];
  if (seed) fc.configureGlobal({ seed: Number(seed) });
  const runs = Number(process.env['FC_RUNS'] ?? fallback);
  return Number.isFinite(runs) && runs > 0 ? runs : fallback;
}
