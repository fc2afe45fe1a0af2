/**
 * The rules `valid` adds for parallel groups (docs/model.md, "Parallel groups"). Pure. For a
 * saga without groups every rule holds trivially and `slotsOf` gives each step its index.
 */
import type { SagaState, StepState } from './sagaState.js';
import { SagaStatus } from './sagaState.js';

/** Each step's place in the definition order; the branches of a group share the place of its first branch. */
export function slotsOf(steps: readonly StepState[]): Map<string, number> {
  const first = new Map<string, number>();
  return new Map(
    steps.map((s, i) => {
      if (!s.parallel) return [s.name, i];
      if (!first.has(s.parallel.group)) first.set(s.parallel.group, i);
      return [s.name, first.get(s.parallel.group) as number];
    }),
  );
}

/** Each broken rule of the parallel groups, in words; empty when they hold. */
export function groupViolations(state: SagaState): string[] {
  // Without groups, `violations`' own rules say all of this.
  if (state.parallel === undefined && !state.steps.some((s) => s.parallel)) return [];
  const problems: string[] = [];
  const p = state.parallel;
  const inFlight = p?.inFlight ?? [];
  const byName = new Map(state.steps.map((s) => [s.name, s]));
  const runningGroups = new Set(state.steps.filter((s) => s.status === 'running').map((s) => s.parallel?.group ?? `#${s.name}`));
  if (runningGroups.size > 1)
    problems.push(`steps of more than one group (or a sequential step and a group) are running at once: ${[...runningGroups].join(', ')}`);
  if (state.inFlight !== null && inFlight.length > 0) problems.push('a sequential attempt and branch attempts are in flight at once');
  for (const f of inFlight) {
    const s = byName.get(f.step);
    if (!s || s.parallel?.group !== p?.group) problems.push(`attempt in flight of ${f.step} is not a branch of group ${p?.group}`);
    else if (s.status !== 'running') problems.push(`branch ${f.step} has an attempt in flight but is ${s.status}`);
  }
  if (new Set(inFlight.map((f) => f.step)).size !== inFlight.length) problems.push('a branch has two attempts in flight');
  const limit = state.steps.find((s) => s.parallel?.group === p?.group)?.parallel?.concurrency ?? Number.POSITIVE_INFINITY;
  if (inFlight.length > limit) problems.push(`group ${p?.group} has ${inFlight.length} attempts in flight, its concurrency limit is ${limit}`);

  // No branch is left running once compensation begins or the saga ends.
  const ended = state.status !== SagaStatus.Running;
  if (ended && inFlight.length > 0) problems.push(`branch attempts in flight (${inFlight.map((f) => f.step).join(', ')}) while the saga is ${state.status}`);
  if ((state.status === SagaStatus.Completed || state.status === SagaStatus.Compensated) && state.steps.some((s) => s.parallel && s.status === 'running'))
    problems.push(`a branch is still running while the saga is ${state.status}`);

  // The compensation order rule: later places first; within a group, the reverse of the order its outcomes were recorded.
  const plan = state.compensation?.plan ?? [];
  const slot = slotsOf(state.steps);
  if (plan.some((name, i) => i > 0 && (slot.get(name) ?? -1) > (slot.get(plan[i - 1] as string) ?? -1)))
    problems.push(`compensation plan [${plan.join(', ')}] does not undo later steps (or groups) before earlier ones`);
  const groups = new Set(plan.flatMap((name) => byName.get(name)?.parallel?.group ?? []));
  for (const group of groups) {
    const planned = plan.filter((name) => byName.get(name)?.parallel?.group === group);
    const recorded = (p?.group === group ? p.applied : state.succeeded).filter((name) => planned.includes(name));
    if (JSON.stringify(planned) !== JSON.stringify([...recorded].reverse()))
      problems.push(
        `group ${group} is compensated as [${planned.join(', ')}], not in reverse of the order its outcomes were recorded [${recorded.join(', ')}]`,
      );
  }
  return problems;
}
