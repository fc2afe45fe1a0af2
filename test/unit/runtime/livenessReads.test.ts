/**
 * The engine's reads of worker liveness: after a restart thousands of sagas name the same
 * crashed worker, and each asked the store (on PostgreSQL a query that also checks the
 * worker's session lock): 10,000 such queries for 10,000 recovered sagas. Lookups of one worker
 * now share a read, reuse its answer briefly but never past the record's expiry, and a death
 * the store reports is never answered from before it.
 */
import { describe, expect, it } from 'vitest';
import type { WorkerLiveness } from '../../../src/index.js';
import { LIVENESS_ANSWER_TTL_MS, LivenessReads } from '../../../src/runtime/livenessReads.js';
import { createVirtualClock } from '../../../src/testing/index.js';

/** A store's liveness whose records the test sets; counts reads and keeps the watches. */
function fakeLiveness() {
  const records = new Map<string, number>();
  const watchers = new Map<string, () => void>();
  let reads = 0;
  const liveness: WorkerLiveness = {
    renew: async (worker, until) => void records.set(worker, until),
    aliveUntil: async (worker) => {
      reads++;
      await new Promise((r) => setTimeout(r, 1));
      return records.get(worker);
    },
    watch: (worker, onDead) => {
      watchers.set(worker, onDead);
      return () => watchers.delete(worker);
    },
    release: async (worker) => void records.set(worker, 0),
  };
  return { liveness, records, watchers, reads: () => reads };
}

describe('LivenessReads', () => {
  it('lookups of one worker made at once share one read of the store', async () => {
    const fake = fakeLiveness();
    const reads = new LivenessReads(fake.liveness, createVirtualClock());
    const answers = await Promise.all(Array.from({ length: 100 }, () => reads.aliveUntil('crashed')));
    expect(answers.every((a) => a === undefined)).toBe(true);
    expect(fake.reads()).toBe(1);
  });

  it('an answer is reused for a short while, then read again', async () => {
    const fake = fakeLiveness();
    const clock = createVirtualClock();
    const reads = new LivenessReads(fake.liveness, clock);
    fake.records.set('w', clock.now() + 60_000);
    await reads.aliveUntil('w');
    await reads.aliveUntil('w');
    expect(fake.reads()).toBe(1);
    clock.advance(LIVENESS_ANSWER_TTL_MS);
    await reads.aliveUntil('w');
    expect(fake.reads()).toBe(2);
  });

  it('a record about to expire is read again once it has: a hung worker is caught on time', async () => {
    const fake = fakeLiveness();
    const clock = createVirtualClock();
    const reads = new LivenessReads(fake.liveness, clock);
    const until = clock.now() + 50;
    fake.records.set('hung', until);
    expect(await reads.aliveUntil('hung')).toBe(until);
    clock.advance(50);
    await reads.aliveUntil('hung');
    expect(fake.reads()).toBe(2);
  });

  it('a death the store reports drops the answer first: the sagas it wakes read the death', async () => {
    const fake = fakeLiveness();
    const clock = createVirtualClock();
    const reads = new LivenessReads(fake.liveness, clock);
    fake.records.set('w', clock.now() + 60_000);
    await reads.aliveUntil('w');
    let seen: number | undefined;
    reads.watch('w', () => {
      void reads.aliveUntil('w').then((u) => {
        seen = u;
      });
    });
    fake.records.set('w', 0);
    fake.watchers.get('w')?.();
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toBe(0);
  });

  it('a read in flight when the worker dies is not kept as its answer', async () => {
    const fake = fakeLiveness();
    const clock = createVirtualClock();
    const reads = new LivenessReads(fake.liveness, clock);
    fake.records.set('w', clock.now() + 60_000);
    reads.watch('w', () => {});
    const before = reads.aliveUntil('w');
    fake.watchers.get('w')?.();
    await before;
    fake.records.set('w', 0);
    expect(await reads.aliveUntil('w')).toBe(0);
  });
});
