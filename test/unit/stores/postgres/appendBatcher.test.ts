/** Group commit in the PostgreSQL adapter, against a fake runner: what travels together, in which order. */
import { describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { AppendBatcher, type BatchRunner } from '../../../../src/stores/postgres/appendBatcher.js';
import type { AppendOutcome, AppendRequest } from '../../../../src/stores/postgres/appendEvents.js';

const ev = (n = 1): { id: string; type: string; data: null }[] => Array.from({ length: n }, () => ({ id: uuidv7(), type: 'T', data: null }));

function fakeRunner(options: { failBatches?: boolean; delayMs?: number } = {}) {
  const batches: string[][] = [];
  const singles: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let commits = 0;
  const ok = (r: AppendRequest, i: number): AppendOutcome => ({ ok: true, appended: true, result: { nextRevision: r.events.length - 1, position: i } });
  const runner: BatchRunner = {
    async runBatch(batch) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      batches.push(batch.map((r) => r.streamId));
      await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 5));
      inFlight--;
      if (options.failBatches) throw Object.assign(new Error('duplicate key'), { code: '23505' });
      return batch.map(ok);
    },
    async runOne(request) {
      singles.push(request.streamId);
      await new Promise((resolve) => setTimeout(resolve, 1));
      return request.streamId.startsWith('bad') ? { ok: false, error: new Error(`conflict ${request.streamId}`) } : ok(request, 0);
    },
    committed: () => void commits++,
  };
  return { runner, batches, singles, maxInFlight: () => maxInFlight, commits: () => commits };
}

describe('AppendBatcher', () => {
  it('sends appends issued in one tick to distinct streams as one batch', async () => {
    const fake = fakeRunner();
    const batcher = new AppendBatcher(fake.runner);
    await Promise.all(Array.from({ length: 20 }, (_, i) => batcher.append({ streamId: `s-${i}`, events: ev(), encoded: [], expected: 'any' })));
    expect(fake.batches).toEqual([Array.from({ length: 20 }, (_, i) => `s-${i}`)]);
    expect(fake.commits()).toBe(1);
  });

  it('keeps appends to one stream in separate batches, in order, and never runs them at once', async () => {
    const fake = fakeRunner();
    const batcher = new AppendBatcher(fake.runner);
    const order: string[] = [];
    await Promise.all([
      batcher.append({ streamId: 'a', events: ev(), encoded: [], expected: 'any' }).then(() => order.push('a1')),
      batcher.append({ streamId: 'b', events: ev(), encoded: [], expected: 'any' }).then(() => order.push('b1')),
      batcher.append({ streamId: 'a', events: ev(), encoded: [], expected: 'any' }).then(() => order.push('a2')),
      batcher.append({ streamId: 'c', events: ev(), encoded: [], expected: 'any' }).then(() => order.push('c1')),
      batcher.append({ streamId: 'a', events: ev(), encoded: [], expected: 'any' }).then(() => order.push('a3')),
    ]);
    // a's appends are singles here (batches of one go through runOne); each starts after the previous one settled.
    expect(fake.batches[0]).toEqual(['a', 'b', 'c']);
    expect(order.filter((o) => o.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    expect(fake.singles).toEqual(['a', 'a']);
  });

  it('separates appends that share an event id, and caps a batch at 4,096 events', async () => {
    const fake = fakeRunner();
    const batcher = new AppendBatcher(fake.runner, 1);
    const shared = ev();
    await Promise.all([
      batcher.append({ streamId: 'x', events: shared, encoded: [], expected: 'any' }),
      batcher.append({ streamId: 'y', events: shared, encoded: [], expected: 'any' }),
      batcher.append({ streamId: 'big-1', events: ev(3000), encoded: [], expected: 'any' }),
      batcher.append({ streamId: 'big-2', events: ev(3000), encoded: [], expected: 'any' }),
      batcher.append({ streamId: 'z', events: ev(), encoded: [], expected: 'any' }),
    ]);
    expect(fake.batches[0]).toEqual(['x', 'big-1', 'z']); // big-2 does not fit; z, later in the queue, does
    expect(fake.batches.flat().concat(fake.singles).sort()).toEqual(['big-1', 'big-2', 'x', 'y', 'z']);
    for (const batch of fake.batches) expect(batch.includes('x') && batch.includes('y')).toBe(false);
  });

  it('uses at most the given number of writers', async () => {
    const fake = fakeRunner({ delayMs: 10 });
    const batcher = new AppendBatcher(fake.runner, 2);
    const writers = Array.from({ length: 10 }, async (_, w) => {
      for (let k = 0; k < 5; k++) {
        await new Promise((resolve) => setTimeout(resolve, (w * 7 + k * 3) % 4));
        await batcher.append({ streamId: `w-${w}`, events: ev(), encoded: [], expected: 'any' });
      }
    });
    await Promise.all(writers);
    expect(fake.maxInFlight()).toBe(2);
    expect(fake.batches.length).toBeLessThan(50);
  });

  it('falls back to one call per append when a batch fails as a whole; each settles on its own', async () => {
    const fake = fakeRunner({ failBatches: true });
    const batcher = new AppendBatcher(fake.runner);
    const settled = await Promise.allSettled(
      ['ok-1', 'bad-1', 'ok-2'].map((streamId) => batcher.append({ streamId, events: ev(), encoded: [], expected: 'any' })),
    );
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(fake.singles).toEqual(['ok-1', 'bad-1', 'ok-2']);
    await batcher.drained();
  });
});
