/**
 * Global order without lost events. A poller that pages with "position > last seen" must see
 * every event exactly once, even when transactions that took lower positions commit later.
 * Delays are injected *inside* the append transactions with triggers on the test's schema, or
 * by writers that call append_batch inside transactions of their own and commit late.
 */
import { describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import type { RecordedEvent } from '../../src/stores/eventStore.js';
import { appendBatchArgs, events, openTestStore, pollFor, rawClient } from '../support/postgresTestStore.js';

describe('postgres store: gap-free global order', () => {
  it('control: a plain sequence loses an event that commits after a higher position (the hazard we guard against)', async () => {
    const a = await rawClient();
    const b = await rawClient();
    const table = `gap_control_${uuidv7().replace(/-/g, '')}`;
    try {
      await a.query(`CREATE TABLE ${table} (position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text)`);
      const poll = async (after: number): Promise<number[]> =>
        (await b.query<{ position: string }>(`SELECT position FROM ${table} WHERE position > $1 ORDER BY position`, [after])).rows.map((r) =>
          Number(r.position),
        );
      await a.query('BEGIN');
      await a.query(`INSERT INTO ${table} (v) VALUES ('slow')`); // takes position 1, commits late
      await b.query(`INSERT INTO ${table} (v) VALUES ('fast')`); // position 2, committed at once
      const seen = await poll(0);
      await a.query('COMMIT');
      seen.push(...(await poll(seen[seen.length - 1] ?? 0)));
      expect(seen).toEqual([2]);
      expect(await poll(0)).toEqual([1, 2]); // position 1 exists, but the poller never saw it
      await a.query(`DROP TABLE ${table}`);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('an append in flight with a lower position holds back readers, not other appends', async () => {
    const store = await openTestStore();
    const admin = await rawClient();
    try {
      const s = `"${store.schema}"`;
      await admin.query(`CREATE FUNCTION ${s}.park() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_advisory_lock_shared(4343); PERFORM pg_advisory_unlock_shared(4343); RETURN NULL; END $$`);
      await admin.query(`CREATE TRIGGER park AFTER INSERT ON ${s}.events FOR EACH ROW WHEN (NEW.stream_id LIKE 'slow-%') EXECUTE FUNCTION ${s}.park()`);
      await admin.query('SELECT pg_advisory_lock(4343)');

      const slow = store.append('slow-1', events(1), 'no_stream');
      const parked = `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 4343 AND NOT granted`;
      await pollFor(async () => (await admin.query(parked)).rowCount === 1, 10_000, 'the slow append to park after its INSERT');
      // No global lock: the later append commits while the slow one is in flight...
      const fastResult = await store.append('fast-1', events(1), 'no_stream');
      expect((await store.readStream('fast-1')).map((e) => e.position)).toEqual([fastResult.position]);
      // ...but readers do not see it yet: the slow append may still commit below it.
      expect(await store.readAll()).toEqual([]);

      await admin.query('SELECT pg_advisory_unlock(4343)');
      const slowResult = await slow;
      expect(slowResult.position).toBeLessThan(fastResult.position);
      expect((await store.readAll()).map((e) => e.streamId)).toEqual(['slow-1', 'fast-1']);
    } finally {
      await admin.end();
      await store.close();
    }
  });

  it('an append whose transaction got its xid before a later-committed append to the same stream is refused as retryable, never stored below it', async () => {
    const store = await openTestStore();
    const early = await rawClient();
    try {
      const s = `"${store.schema}"`;
      await store.append('inv-1', events(1), 'no_stream');
      await early.query('BEGIN');
      await early.query('SELECT pg_current_xact_id()'); // this transaction's xid is now below the next append's
      const later = await store.append('inv-1', events(1), 0);
      const batch = events(1);
      const call = early.query(`SELECT o_outcome FROM ${s}.append_batch($1, $2, $3, $4, $5, $6, $7, $8, $9)`, appendBatchArgs('inv-1', -2, batch));
      await expect(call).rejects.toMatchObject({ code: '40001' });
      await early.query('ROLLBACK');
      const stream = await store.readStream('inv-1');
      expect(stream.map((e) => e.revision)).toEqual([0, 1]);
      expect(stream[1]!.position).toBe(later.position);
      // Through the store, the same race is retried in a new transaction (a higher xid).
      const retried = await store.append('inv-1', batch, 'any');
      expect(retried.position).toBeGreaterThan(later.position);
      const all = await store.readAll();
      expect(all.map((e) => e.revision)).toEqual([0, 1, 2]);
    } finally {
      await early.end();
      await store.close();
    }
  });

  it('writers in overlapping transactions (BEGIN; append_batch; sleep; COMMIT) never make a paging reader or a subscription skip an event', async () => {
    const store = await openTestStore();
    const s = `"${store.schema}"`;
    const seenByPoller: RecordedEvent[] = [];
    const seenBySubscription: RecordedEvent[] = [];
    const subscription = store.subscribeToAll({ onEvent: (e) => void seenBySubscription.push(e) });
    let writing = true;
    const poller = (async () => {
      for (;;) {
        const done = !writing;
        const page = await store.readAll({ after: seenByPoller.at(-1)?.position ?? 0, maxCount: 13 });
        seenByPoller.push(...page);
        if (done && page.length === 0) return;
      }
    })();
    const writers = 16;
    const perWriter = 12;
    const committed: string[] = [];
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const client = await rawClient();
        try {
          for (let k = 0; k < perWriter; k++) {
            const batch = events(1 + ((w + k) % 3), 'Overlap', k);
            await client.query('BEGIN');
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
            const { rows } = await client.query<{ o_outcome: string }>(
              `SELECT o_outcome FROM ${s}.append_batch($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
              appendBatchArgs(`w-${w}`, k === 0 ? -1 : -2, batch),
            );
            expect(rows[0]?.o_outcome).toBe('appended');
            await client.query('SELECT pg_sleep($1)', [Math.random() * 0.01]);
            if ((w + k) % 5 === 4) {
              await client.query('ROLLBACK'); // an append that never lands: leaves a gap, nothing else
              continue;
            }
            await client.query('COMMIT');
            committed.push(...batch.map((e) => e.id));
          }
        } finally {
          await client.end();
        }
      }),
    );
    writing = false;
    await poller;
    const final = await store.readAll();
    expect(final.map((e) => e.id).sort()).toEqual([...committed].sort());
    expect(seenByPoller.map((e) => e.id)).toEqual(final.map((e) => e.id));
    await pollFor(async () => seenBySubscription.length >= final.length, 10_000, 'the subscription to deliver everything');
    await subscription.unsubscribe();
    expect(seenBySubscription.map((e) => e.id)).toEqual(final.map((e) => e.id));
    expect(final.every((e, i) => i === 0 || e.position > final[i - 1]!.position)).toBe(true);
    await store.close();
  });

  it('a poller sees every event exactly once, in the final order, under many concurrent writers with delays inside their transactions', async () => {
    const store = await openTestStore({ pool: { max: 20 } });
    const admin = await rawClient();
    const s = `"${store.schema}"`;
    await admin.query(`CREATE FUNCTION ${s}.jitter() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(random() * 0.004); RETURN NULL; END $$`);
    await admin.query(`CREATE TRIGGER jitter AFTER INSERT ON ${s}.events FOR EACH STATEMENT EXECUTE FUNCTION ${s}.jitter()`);
    await admin.end();

    const seen: RecordedEvent[] = [];
    let writing = true;
    const poller = (async () => {
      for (;;) {
        const done = !writing; // read once more after the writers finished
        const page = await store.readAll({ after: seen[seen.length - 1]?.position ?? 0, maxCount: 37 });
        seen.push(...page);
        if (done && page.length === 0) return;
      }
    })();

    const writers = 16;
    const appendsPerWriter = 20;
    let appended = 0;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        let revision = -1;
        for (let k = 0; k < appendsPerWriter; k++) {
          const batch = events(1 + ((w + k) % 3), 'W', k);
          // Every fourth writer shares one stream, exercising the per-stream lock as well.
          const stream = w % 4 === 0 ? 'shared-1' : `writer-${w}`;
          const result = await store.append(stream, batch, stream === 'shared-1' ? 'any' : revision === -1 ? 'no_stream' : revision);
          revision = result.nextRevision;
          appended += batch.length;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
        }
      }),
    );
    writing = false;
    await poller;

    const final = await store.readAll();
    expect(final).toHaveLength(appended);
    expect(seen.map((e) => e.id)).toEqual(final.map((e) => e.id));
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    expect(seen.every((e, i) => i === 0 || e.position > seen[i - 1]!.position)).toBe(true);
    const shared = await store.readStream('shared-1');
    expect(shared.map((e) => e.revision)).toEqual(shared.map((_, i) => i));
    await store.close();
  });
});
