/**
 * Two workers on one store (two store objects, as two processes would have): A runs sagas, B
 * only follows. Counts the saga streams B reads meanwhile: on a store with worker liveness a
 * follower has nothing to do for sagas a live worker drives, so it must not load them.
 */
import { z } from 'zod';
import { createEngine, defineSaga } from '../../src/index.js';
import type { EventStore } from '../../src/index.js';

/** `store` with its `readStream` calls on saga streams counted in `reads.count`. */
export function counted(store: EventStore): { store: EventStore; reads: { count: number } } {
  const reads = { count: 0 };
  const proxy = new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'readStream') {
        return (streamId: string, options?: object) => {
          if (streamId.startsWith('saga-')) reads.count++;
          return target.readStream(streamId, options);
        };
      }
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: proxy, reads };
}

/** Runs `sagas` sagas of two instant steps on A while B follows; returns B's saga-stream reads. */
export async function followerLoads(storeA: EventStore, storeB: EventStore, sagas: number): Promise<{ completed: number; followerReads: number }> {
  const saga = defineSaga({ name: 'quick', input: z.object({ i: z.number() }) })
    .step('one', { run: ({ input }) => input.i })
    .step('two', { run: () => 'done' });
  const follower = counted(storeB);
  const a = await createEngine({ store: storeA, sagas: [saga], workerId: 'runner' });
  const b = await createEngine({ store: follower.store, sagas: [saga], workerId: 'follower' });
  try {
    await Promise.all([a.startWorker(), b.startWorker()]);
    const ids = await Promise.all(Array.from({ length: sagas }, (_, i) => a.start('quick', { i }).then((r) => r.sagaId)));
    const results = await Promise.all(ids.map((id) => a.result(id)));
    // Let B's subscription deliver everything A appended.
    await new Promise((r) => setTimeout(r, 300));
    return { completed: results.filter((r) => r.status === 'completed').length, followerReads: follower.reads.count };
  } finally {
    await Promise.all([a.close({ graceMs: 200 }), b.close({ graceMs: 200 })]);
  }
}
