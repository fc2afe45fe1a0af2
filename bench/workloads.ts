/**
 * The four workloads of the comparison, and the loop that times one of them: N sagas, each
 * timed from its start to its terminal result, `inFlight` at a time; a run's figure is N over
 * the wall time of all N.
 */
import { EXPECTED_OUTCOME, type Contender, type SagaKind } from './contender.js';

export interface Workload {
  id: string;
  kind: SagaKind;
  inFlight: number;
}

export const WORKLOADS: readonly Workload[] = [
  { id: '3-step, sequential', kind: 'threeSteps', inFlight: 1 },
  { id: '3-step, 50 in flight', kind: 'threeSteps', inFlight: 50 },
  { id: 'compensating, sequential', kind: 'compensating', inFlight: 1 },
  { id: 'compensating, 50 in flight', kind: 'compensating', inFlight: 50 },
];

/** Runs `sagas` sagas of the workload on a prepared contender; returns the wall time in ms. */
export async function timeWorkload(contender: Contender, workload: Workload, sagas: number): Promise<number> {
  let next = 0;
  const expected = EXPECTED_OUTCOME[workload.kind];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(workload.inFlight, sagas) }, async () => {
      while (next < sagas) {
        const i = next++;
        const outcome = await contender.runOne(workload.kind, i);
        if (outcome !== expected) throw new Error(`${contender.name}, ${workload.id}: saga ${i} ended ${outcome}, expected ${expected}`);
      }
    }),
  );
  return performance.now() - start;
}
