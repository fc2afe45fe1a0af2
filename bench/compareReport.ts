/**
 * Turns the timed runs of bench/compare.ts into tables: per workload, each engine's median,
 * min and max sagas/s over the repetitions, and sagaflow-on-PostgreSQL ÷ that engine, both as
 * the ratio of the medians and as the range of the per-repetition ratios (each taken from runs
 * seconds apart, so noise that lasts a while hits both sides of a ratio alike).
 */
import { printTable } from './support.js';
import type { Workload } from './workloads.js';

export interface Sample {
  workload: string;
  contender: string;
  repetition: number;
  sagasPerSecond: number;
}

/** The engine all ratios are taken against. */
export const REFERENCE = 'sagaflow · postgres';

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const rate = (v: number): string => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '—');
const ratio = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '—');

function of(samples: Sample[], workload: string, contender: string): Sample[] {
  return samples.filter((s) => s.workload === workload && s.contender === contender);
}

function pairedRatios(samples: Sample[], workload: string, contender: string): number[] {
  const ref = new Map(of(samples, workload, REFERENCE).map((s) => [s.repetition, s.sagasPerSecond]));
  return of(samples, workload, contender).flatMap((s) => (ref.has(s.repetition) ? [ref.get(s.repetition)! / s.sagasPerSecond] : []));
}

export function printWorkloadTables(samples: Sample[], workloads: readonly Workload[], contenders: string[], sagas: number): void {
  for (const w of workloads) {
    printTable(
      `${w.id}: ${sagas} sagas per run, sagas/s (start → terminal result)`,
      contenders.map((c) => {
        const rates = of(samples, w.id, c).map((s) => s.sagasPerSecond);
        const paired = pairedRatios(samples, w.id, c);
        const refMedian = median(of(samples, w.id, REFERENCE).map((s) => s.sagasPerSecond));
        return {
          engine: c,
          runs: rates.length,
          median: rate(median(rates)),
          min: rate(Math.min(...rates)),
          max: rate(Math.max(...rates)),
          [`${REFERENCE} ÷ engine (medians)`]: c === REFERENCE ? '1' : ratio(refMedian / median(rates)),
          'per-repetition ratios min–max': c === REFERENCE || paired.length === 0 ? '' : `${ratio(Math.min(...paired))} – ${ratio(Math.max(...paired))}`,
        };
      }),
    );
  }
}

/** One table for docs: median sagas/s per workload × engine, then the ratios to each peer. */
export function printSummary(samples: Sample[], workloads: readonly Workload[], contenders: string[], title: string): void {
  const peers = contenders.filter((c) => c !== REFERENCE);
  printTable(
    title,
    workloads.map((w) => {
      const medians = new Map(contenders.map((c) => [c, median(of(samples, w.id, c).map((s) => s.sagasPerSecond))]));
      const row: Record<string, string> = { workload: w.id };
      for (const c of contenders) row[c] = rate(medians.get(c)!);
      for (const p of peers) row[`pg ÷ ${p}`] = ratio(medians.get(REFERENCE)! / medians.get(p)!);
      return row;
    }),
  );
}
