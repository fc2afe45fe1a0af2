/**
 * The exhaustive model check of `transition` (docs/model.md, "What is proved exhaustively"):
 * every saga shape of 1 to 3 steps (each step compensable or not, optional or not, with 1 or 2
 * attempts: 8 + 64 + 512 shapes), every input sequence two workers, a crash and a cancel can
 * produce (test/property/modelCheck/explore.ts), breadth-first over distinct worlds; and every
 * 2-step shape with a signal wait (16 waiting variants × 8 others × both orders), with signals
 * sent before, during and after the wait, twice, and with a second one. Larger shapes, jitter
 * and checkpoints are sampled by the property tests instead.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ExploreReport, Rule } from './modelCheck/explore.js';
import { explore, ModelCheckFailure } from './modelCheck/explore.js';
import { modelOfParallelShape, modelOfShape, parallelShapes, shapesOf, signalShapes } from './modelCheck/shapes.js';

/** Inputs a path may take, per step: every path must end terminal within it. */
const BOUND_PER_STEP = 16;

interface Summary {
  steps: number;
  shapes: number;
  states: number;
  transitions: number;
  paths: bigint;
  longestPath: number;
  seconds: number;
}

const failures: { rule: Rule; message: string }[] = [];
const summaries: Summary[] = [];

/**
 * Lets the test worker's event loop run: exploring every shape takes minutes of CPU on a busy
 * machine, and a worker that never yields cannot answer the runner's messages (vitest then
 * fails the run with "Timeout calling onTaskUpdate" although every test passed).
 */
function yieldToRunner(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function check(steps: number): Promise<Summary> {
  const started = performance.now();
  const summary: Summary = { steps, shapes: 0, states: 0, transitions: 0, paths: 0n, longestPath: 0, seconds: 0 };
  for (const shape of shapesOf(steps)) {
    await yieldToRunner();
    summary.shapes++;
    let report: ExploreReport;
    try {
      report = explore(modelOfShape(shape), BOUND_PER_STEP * steps);
    } catch (error) {
      if (!(error instanceof ModelCheckFailure)) throw error;
      failures.push({ rule: error.rule, message: error.message });
      continue;
    }
    summary.states += report.states;
    summary.transitions += report.transitions;
    summary.paths += report.paths;
    summary.longestPath = Math.max(summary.longestPath, report.longestPath);
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/** A rule's failures; a shape whose exploration stopped at another rule's failure is not fully checked, so it counts too. */
function brokenFor(rule: Rule): string[] {
  return failures.map((f) => (f.rule === rule ? f.message : `(not fully explored: ${f.rule} failed) ${f.message}`));
}

describe('model check: every saga of up to 3 steps, every input sequence of two workers, crashes and a cancel', () => {
  beforeAll(async () => {
    for (const steps of [1, 2, 3]) summaries.push(await check(steps));
    const total: Summary = { steps: 0, shapes: 0, states: 0, transitions: 0, paths: 0n, longestPath: 0, seconds: 0 };
    for (const s of summaries) {
      total.shapes += s.shapes;
      total.states += s.states;
      total.transitions += s.transitions;
      total.paths += s.paths;
      total.longestPath = Math.max(total.longestPath, s.longestPath);
      total.seconds += s.seconds;
    }
    const line = (label: string, s: Summary) =>
      `${label.padEnd(8)} ${String(s.shapes).padStart(4)} shapes ${String(s.states).padStart(8)} states ${String(s.transitions).padStart(9)} transitions ${s.paths.toString().padStart(18)} paths  longest ${String(s.longestPath).padStart(2)} inputs  ${s.seconds.toFixed(1)} s`;
    console.log(
      [
        'model check of transition (distinct worlds; paths are input sequences to a terminal state):',
        ...summaries.map((s) => line(`${s.steps} step${s.steps > 1 ? 's' : ''}`, s)),
        line('total', total),
      ].join('\n'),
    );
  }, 120_000);

  it('explores all 8 + 64 + 512 shapes', () => {
    expect(summaries.map((s) => s.shapes)).toEqual([8, 64, 512]);
  });

  it('every state reached is valid', () => {
    expect(brokenFor('valid')).toEqual([]);
  });

  it('every non-terminal state reached can continue', () => {
    expect(brokenFor('canContinue')).toEqual([]);
  });

  it('every path ends in a terminal state within the bound (no state is stuck, no cycle, no path longer than 16 inputs per step)', () => {
    expect(brokenFor('terminates')).toEqual([]);
  });

  it('no attempt gets two outcomes', () => {
    expect(brokenFor('oneOutcome')).toEqual([]);
  });

  it('every attempt performed has its intent (its worker, its lease) in the append before it runs', () => {
    expect(brokenFor('intentFirst')).toEqual([]);
  });

  it("an outcome is accepted exactly when its attempt is its worker's attempt in flight; otherwise the worker is fenced", () => {
    expect(brokenFor('fencing')).toEqual([]);
  });
});

describe('model check: a 2-branch parallel group (every pair of step variants, 1 or 2 at once, alone or after a step), every input sequence of two workers, crashes and a cancel', () => {
  const parallelFailures: { rule: Rule; message: string }[] = [];
  const summary = { shapes: 0, states: 0, transitions: 0, paths: 0n, longestPath: 0, seconds: 0, completed: 0, compensated: 0, parked: 0 };
  const broken = (rule: Rule) => parallelFailures.map((f) => (f.rule === rule ? f.message : `(not fully explored: ${f.rule} failed) ${f.message}`));

  beforeAll(async () => {
    const started = performance.now();
    for (const shape of parallelShapes()) {
      await yieldToRunner();
      summary.shapes++;
      const model = modelOfParallelShape(shape);
      try {
        const report = explore(model, BOUND_PER_STEP * model.steps.length);
        summary.states += report.states;
        summary.transitions += report.transitions;
        summary.paths += report.paths;
        summary.longestPath = Math.max(summary.longestPath, report.longestPath);
        summary.completed += report.terminal.completed;
        summary.compensated += report.terminal.compensated;
        summary.parked += report.terminal.parked;
      } catch (error) {
        if (!(error instanceof ModelCheckFailure)) throw error;
        parallelFailures.push({ rule: error.rule, message: error.message });
      }
    }
    summary.seconds = (performance.now() - started) / 1000;
    console.log(
      `model check of parallel groups: ${summary.shapes} shapes ${summary.states} states ${summary.transitions} transitions ${summary.paths} paths  longest ${summary.longestPath} inputs  terminal: ${summary.completed} completed, ${summary.compensated} compensated, ${summary.parked} parked  ${summary.seconds.toFixed(1)} s`,
    );
  }, 240_000);

  it('explores all 64 + 64 + 64 shapes', () => {
    expect(summary.shapes).toBe(192);
  });

  it('every state reached is valid (the group rules included: no branch in flight once the saga compensates or ends, the documented compensation order)', () => {
    expect(broken('valid')).toEqual([]);
  });

  it('every non-terminal state reached can continue, and every path ends terminal within the bound', () => {
    expect(broken('canContinue')).toEqual([]);
    expect(broken('terminates')).toEqual([]);
  });

  it('no branch attempt gets two outcomes, and each is performed only after its intent is appended', () => {
    expect(broken('oneOutcome')).toEqual([]);
    expect(broken('intentFirst')).toEqual([]);
  });

  it("an outcome is accepted exactly when its attempt is one of its worker's attempts in flight; otherwise the worker is fenced", () => {
    expect(broken('fencing')).toEqual([]);
  });
});

describe('model check: every 2-step saga with a signal wait, signals before, during and after the wait, sent twice, a second one, timeouts', () => {
  const failed: { rule: Rule; message: string }[] = [];
  let summary: Summary | undefined;
  beforeAll(async () => {
    const started = performance.now();
    const s: Summary = { steps: 2, shapes: 0, states: 0, transitions: 0, paths: 0n, longestPath: 0, seconds: 0 };
    for (const shape of signalShapes()) {
      await yieldToRunner();
      s.shapes++;
      try {
        const report = explore(modelOfShape(shape), BOUND_PER_STEP * 2);
        s.states += report.states;
        s.transitions += report.transitions;
        s.paths += report.paths;
        s.longestPath = Math.max(s.longestPath, report.longestPath);
      } catch (error) {
        if (!(error instanceof ModelCheckFailure)) throw error;
        failed.push({ rule: error.rule, message: error.message });
      }
    }
    s.seconds = (performance.now() - started) / 1000;
    summary = s;
    console.log(
      `model check with a signal wait: ${s.shapes} shapes ${s.states} states ${s.transitions} transitions ${s.paths} paths  longest ${s.longestPath} inputs  ${s.seconds.toFixed(1)} s`,
    );
  }, 120_000);

  it('explores all 256 shapes', () => {
    expect(summary?.shapes).toBe(256);
  });

  it('every state reached is valid (every signal received once, kept or consumed, never both, never lost) and can continue; every path ends; no step gets two outcomes', () => {
    expect(failed.map((f) => `${f.rule}: ${f.message}`)).toEqual([]);
  });
});
