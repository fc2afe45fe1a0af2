/**
 * What bench/compare.ts needs of each engine it runs: sagaflow on each store, DBOS Transact and
 * Restate implement it, so one loop can alternate them and time them the same way.
 */

/** `threeSteps`: three instant steps that succeed. `compensating`: the third step fails for good, so 2 then 1 are compensated. */
export type SagaKind = 'threeSteps' | 'compensating';

/** The result each kind must end in; anything else fails the run (a wrong answer is not a figure). */
export const EXPECTED_OUTCOME: Record<SagaKind, 'completed' | 'compensated'> = { threeSteps: 'completed', compensating: 'compensated' };

export interface Contender {
  /** Row label, e.g. `sagaflow · postgres`. */
  readonly name: string;
  /** Untimed: fresh state for one timed run (a new schema, file or store), engine started. */
  prepare(runId: string): Promise<void>;
  /** Starts one saga and resolves with its terminal outcome. */
  runOne(kind: SagaKind, i: number): Promise<'completed' | 'compensated' | string>;
  /** Untimed: ends the run (closes the engine, its connections). */
  finish(): Promise<void>;
  /** Releases everything (servers, processes); also called on SIGINT/SIGTERM. */
  close(): Promise<void>;
}
