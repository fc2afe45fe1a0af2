/**
 * The PostgreSQL worker-liveness records as the port promises (stores/workerLiveness.ts): a
 * watch reports a worker gone when its session ends, and also when its record runs out while
 * the session and lock stay (a hung process) or when it releases the record (a graceful
 * close). Followers rely on the watch alone for sagas they never load (engine.ts, follow).
 */
import { describe, expect, it } from 'vitest';
import type { EventStore, WorkerLiveness } from '../../src/index.js';
import { openTestStore } from '../support/postgresTestStore.js';

function liveness(store: EventStore): WorkerLiveness {
  if (!store.workerLiveness) throw new Error('the PostgreSQL store has worker liveness');
  return store.workerLiveness;
}

function watchOnce(watch: (onDead: () => void) => () => void): { dead: Promise<number>; stop: () => void } {
  let stop: () => void = () => undefined;
  const dead = new Promise<number>((resolve) => {
    stop = watch(() => resolve(Date.now()));
  });
  return { dead, stop };
}

describe('PostgreSQL worker liveness: watches', () => {
  it('a record that runs out while its session still holds the lock (a hang) is reported dead soon after it expires, not before', async () => {
    const worker = await openTestStore();
    const watcher = await openTestStore({ schema: worker.schema });
    try {
      const aliveUntil = Date.now() + 400;
      await liveness(worker).renew('hung', aliveUntil);
      const { dead } = watchOnce((onDead) => liveness(watcher).watch('hung', onDead));
      const at = await dead;
      expect(at).toBeGreaterThanOrEqual(aliveUntil);
      expect(at - aliveUntil).toBeLessThan(500);
    } finally {
      await Promise.all([worker.close(), watcher.close()]);
    }
  });

  it('a renewed record is not reported dead; a released one is, by the time it would have run out', async () => {
    const worker = await openTestStore();
    const watcher = await openTestStore({ schema: worker.schema });
    try {
      await liveness(worker).renew('renews', Date.now() + 200);
      let deadAt: number | undefined;
      const stop = liveness(watcher).watch('renews', () => (deadAt = Date.now()));
      for (let i = 0; i < 8; i++) {
        await new Promise((r) => setTimeout(r, 60));
        await liveness(worker).renew('renews', Date.now() + 200);
      }
      expect(deadAt).toBeUndefined();
      const releasedAt = Date.now();
      await liveness(worker).release('renews');
      await new Promise((r) => setTimeout(r, 400));
      expect(deadAt).toBeDefined();
      expect((deadAt ?? 0) - releasedAt).toBeLessThan(400);
      stop();
    } finally {
      await Promise.all([worker.close(), watcher.close()]);
    }
  });
});
