/**
 * The stream rule of versioned definitions: a saga never changes version without a migration
 * event. Checked over events (not one state), by the property tests and by `verify`-style
 * checks of real streams. Pure.
 */
import type { SagaEvent } from './events.js';
import { evolve } from './evolve.js';
import type { SagaState } from './sagaState.js';

/**
 * Each broken rule in words, empty when the stream keeps it: the folded version changes only
 * on a `SagaMigrated` event, from the version the saga ran with to the next one, and every
 * `SagaMigrated` of a stream changes it so (none is recorded without effect). Pure.
 */
export function versionViolations(events: Iterable<SagaEvent>): string[] {
  const problems: string[] = [];
  let state: SagaState | undefined;
  let revision = -1;
  for (const event of events) {
    revision++;
    const before = state?.version;
    state = evolve(state, event);
    const after = state?.version;
    if (before === undefined) continue;
    if (event.type === 'SagaMigrated') {
      if (event.data.from !== before || after !== before + 1 || event.data.to !== after)
        problems.push(`revision ${revision}: SagaMigrated ${event.data.from} → ${event.data.to} did not move the saga from version ${before} to ${before + 1}`);
    } else if (after !== before) {
      problems.push(`revision ${revision}: ${event.type} changed the version from ${before} to ${String(after)} without a migration event`);
    }
  }
  return problems;
}
