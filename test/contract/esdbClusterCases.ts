/**
 * A leader change under load on the fixture's simulated 3-node cluster
 * (startEsdbProtocolCluster), for one client package: the engine, through the adapter, runs
 * 50 three-step sagas, the leader moves mid-run, and every saga completes on the new leader
 * without applying any step twice. esdb.clusterFailover.test.ts runs it with
 * `@eventstore/db-client`, esdb.kurrent.clusterFailover.test.ts with `@kurrent/kurrentdb-client`
 * (one client per process). What the simulation leaves out: docs/esdb.md.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fold, parseSagaEvent, valid } from '../../src/core/index.js';
import { createEngine, defineSaga, type Engine } from '../../src/index.js';
import { createEsdbEventStore } from '../../src/stores/esdb/index.js';
import type { EventStore } from '../../src/stores/eventStore.js';
import { startEsdbProtocolCluster, type EsdbProtocolCluster } from '../../src/testing/esdb/index.js';

/** Appends each node served (Append and BatchAppend). */
export const appendsPerNode = (c: EsdbProtocolCluster): number[] => c.nodes.map((n) => n.appendsServed.append + n.appendsServed.batchAppend);

export function clusterFailoverCases(client: 'eventstore' | 'kurrentdb'): void {
  let cluster: EsdbProtocolCluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });
  const appends = appendsPerNode;

  describe(`a leader change while the engine runs sagas (${client})`, () => {
    let engine: Engine | undefined;
    let store: EventStore | undefined;
    afterEach(async () => {
      await engine?.close({ graceMs: 0 });
      await store?.close();
      engine = undefined;
      store = undefined;
    });

    it.each([true, false])(
      '50 three-step sagas all complete, each step effect applied once, streams valid, appends after the change on the new leader (batchAppend: %s)',
      async (batchAppend) => {
        cluster = await startEsdbProtocolCluster({ batchAppend });
        const calls = new Map<string, number>();
        const applied = new Set<string>();
        let release: () => void = () => {};
        const halfway = new Promise<void>((resolve) => (release = resolve));
        const effect =
          (step: string) =>
          async ({ idempotencyKey }: { idempotencyKey: string }) => {
            calls.set(idempotencyKey, (calls.get(idempotencyKey) ?? 0) + 1);
            // A participant that dedupes by key: a repeated call with a known key applies nothing.
            applied.add(idempotencyKey);
            if (applied.size >= 60) release();
            await new Promise((resolve) => setTimeout(resolve, 1));
            return step;
          };
        const saga = defineSaga({ name: 'three', input: z.object({ n: z.number() }) })
          .step('a', { run: effect('a') })
          .step('b', { run: effect('b') })
          .step('c', { run: effect('c') });

        store = await createEsdbEventStore({ connectionString: cluster.connectionString, client });
        engine = await createEngine({ store, sagas: [saga] });
        const started = await Promise.all(Array.from({ length: 50 }, (_, n) => engine!.start('three', { n }, { idempotencyKey: `three-${n}` })));

        await halfway;
        const before = appends(cluster);
        const appliedAtFailover = applied.size;
        expect(cluster.failover()).toBe(1);
        const results = await Promise.all(started.map((s) => engine!.result(s.sagaId)));
        const after = appends(cluster);

        expect(results.every((r) => r.status === 'completed')).toBe(true);
        // Every step of every saga applied exactly once (calls may repeat; their keys are applied once).
        expect(applied.size).toBe(150);
        expect(appliedAtFailover).toBeLessThan(150);
        expect([...calls.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(150);
        for (const s of started) for (const step of ['a', 'b', 'c']) expect(applied.has(`${s.sagaId}/${step}`)).toBe(true);
        // The old leader (node 0) took no write after the change; the new one took them all.
        expect(after[0]).toBe(before[0]);
        expect(after[2]).toBe(before[2]);
        expect(after[1]! - before[1]!).toBeGreaterThan(0);
        expect(before[1]).toBe(0);
        expect(cluster.nodes[0]!.notLeaderAnswers).toBeGreaterThan(0);

        for (const s of started) {
          const streamId = `saga-${s.sagaId}`;
          const events = (await store.readStream(streamId)).map((e) => parseSagaEvent(e, e));
          const state = fold(events);
          expect(state?.status).toBe('completed');
          expect(valid(state!)).toBe(true);
          // No attempt has two outcomes.
          const outcomes = new Map<string, number>();
          for (const e of events) {
            if (e.type === 'StepSucceeded' || e.type === 'StepFailed') {
              const key = `${e.data.step}#${e.data.attempt}`;
              outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
            }
          }
          expect([...outcomes.values()].every((n) => n === 1)).toBe(true);
        }
      },
      60_000,
    );
  });
}
