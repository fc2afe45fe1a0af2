/**
 * Commit position 0 is a valid position (the first record of a log), not a missing one: the
 * adapter must return such an event from stream reads, `$all` reads and subscriptions, and
 * `readAll({ after: 0 })` ("from the start") must include it.
 */
import { v7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/stores/eventStore.js';
import { createEsdbEventStore } from '../../src/stores/esdb/index.js';
import { startEsdbProtocolServer } from '../../src/testing/esdb/index.js';

export function positionZeroCases(client: 'eventstore' | 'kurrentdb'): void {
  describe(`EventStoreDB (${client} client): an event at commit position 0`, () => {
    it('is read back from its stream, from $all after 0, and by a subscription from the start', async () => {
      const server = await startEsdbProtocolServer({ firstEventAtZero: true });
      const store = await createEsdbEventStore({ connectionString: server.connectionString, client });
      try {
        const stream = `saga-${v7()}`;
        await store.append(
          stream,
          [
            { id: v7(), type: 'First', data: { n: 0 } },
            { id: v7(), type: 'Second', data: { n: 1 } },
          ],
          'no_stream',
        );
        expect(server.log.all[0]?.position).toBe(0n);
        const read = await store.readStream(stream);
        expect(read.map((e) => e.type)).toEqual(['First', 'Second']);
        const all = await store.readAll({ after: 0, streamPrefix: 'saga-' });
        expect(all.map((e) => e.type)).toEqual(['First', 'Second']);
        expect(all[0]!.position).toBeLessThan(all[1]!.position);
        expect(all.map((e) => e.position)).toEqual(read.map((e) => e.position));
        // Paging from the first event's position returns the second only.
        expect((await store.readAll({ after: all[0]!.position, streamPrefix: 'saga-' })).map((e) => e.type)).toEqual(['Second']);
        const seen: RecordedEvent[] = [];
        await new Promise<void>((resolve, reject) => {
          const sub = store.subscribeToAll({
            streamPrefix: 'saga-',
            onEvent: (e) => void seen.push(e),
            onCaughtUp: () => void sub.unsubscribe().then(resolve),
            onError: reject,
          });
        });
        expect(seen.map((e) => e.type)).toEqual(['First', 'Second']);
      } finally {
        await store.close();
        await server.close();
      }
    });
  });
}
