/**
 * The worker's one liveness record: written when the engine starts, renewed every leaseMs / 3
 * while attempts run (however many), not at all while none does, and released on close.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/observability/logger.js';
import { WorkerHeartbeat } from '../../../src/runtime/workerHeartbeat.js';
import type { WorkerLiveness } from '../../../src/stores/eventStore.js';
import { createVirtualClock } from '../../../src/testing/virtualClock.js';

/** Lets the renewals under way settle (a real store answers between two periods). */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

function recording() {
  const calls: string[] = [];
  const liveness: WorkerLiveness = {
    renew: async (id, until) => void calls.push(`renew ${id} ${until}`),
    aliveUntil: async () => undefined,
    watch: () => () => {},
    release: async (id) => void calls.push(`release ${id}`),
  };
  return { calls, liveness };
}

describe('WorkerHeartbeat', () => {
  it('renews one record per period for all attempts at once, and nothing while the worker runs none', async () => {
    const clock = createVirtualClock(0);
    const { calls, liveness } = recording();
    const heartbeat = new WorkerHeartbeat(liveness, 'w', 300, clock, silentLogger);
    await heartbeat.ready;
    expect(calls).toEqual(['renew w 300']);
    // Three attempts at once: one record, renewed every 100 ms.
    const releases = [heartbeat.hold(), heartbeat.hold(), heartbeat.hold()];
    clock.advance(100);
    await settle();
    clock.advance(100);
    await settle();
    expect(calls).toEqual(['renew w 300', 'renew w 400', 'renew w 500']);
    for (const release of releases) release();
    clock.advance(1_000);
    await settle();
    // The tick after the last attempt ended stops the renewals.
    expect(calls).toEqual(['renew w 300', 'renew w 400', 'renew w 500']);
    expect(clock.pending()).toBe(0);
    // An attempt after a long idle time renews at once (the record has expired).
    const release = heartbeat.hold();
    await settle();
    expect(calls.at(-1)).toBe('renew w 1500');
    release();
    await heartbeat.release();
    expect(calls.at(-1)).toBe('release w');
  });
});
