/**
 * The PostgreSQL adapter against a real server: reads, fencing, idempotency, concurrent
 * writers, migrations, and failures of the connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { PayloadTooLargeError, StoreClosedError, StoreUnavailableError, StreamNameError, StreamVersionConflictError } from '../../src/core/errors.js';
import { createPostgresEventStore, postgresMigrationSql, type PostgresEventStore } from '../../src/stores/postgres/index.js';
import { appendBatchArgs, events, freshSchema, openTestStore, pollFor, rawClient, sagaStream } from '../support/postgresTestStore.js';
import { TEST_PASSWORD } from '../support/postgresServer.js';

let store: PostgresEventStore;
beforeAll(async () => {
  store = await openTestStore();
});
afterAll(async () => {
  await store?.close();
});

describe('postgres store: reads and appends', () => {
  it('appends and reads a stream in both directions', async () => {
    const stream = sagaStream();
    const first = await store.append(stream, events(3), 'no_stream');
    expect(first.nextRevision).toBe(2);
    const second = await store.append(stream, events(2, 'TestEvent', 3), 2);
    expect(second).toEqual({ nextRevision: 4, position: expect.any(Number) });
    expect(second.position).toBeGreaterThan(first.position);

    const forwards = await store.readStream(stream);
    expect(forwards.map((e) => [e.revision, (e.data as { i: number }).i])).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
    ]);
    expect(forwards.map((e) => e.position)).toEqual([...forwards.map((e) => e.position)].sort((a, b) => a - b));
    expect(forwards[0]).toMatchObject({ streamId: stream, type: 'TestEvent', metadata: {} });
    expect(new Date(forwards[0]!.recordedAt).toISOString()).toBe(forwards[0]!.recordedAt);

    const backwards = await store.readStream(stream, { direction: 'backwards', maxCount: 2 });
    expect(backwards.map((e) => e.revision)).toEqual([4, 3]);
    expect((await store.readStream(stream, { direction: 'backwards', fromRevision: 1 })).map((e) => e.revision)).toEqual([1, 0]);
    expect((await store.readStream(stream, { fromRevision: 3 })).map((e) => e.revision)).toEqual([3, 4]);
    expect(await store.readStream(sagaStream())).toEqual([]);
  });

  it('round-trips JSON data and metadata', async () => {
    const stream = sagaStream();
    const data = { text: 'héllo ✓ 𝄞', n: 1.5, big: 2 ** 52, nested: { list: [1, null, true, 'x'], empty: {} } };
    await store.append(
      stream,
      [
        { id: uuidv7(), type: 'A', data, metadata: { correlationId: 'c-1' } },
        { id: uuidv7(), type: 'B', data: null },
      ],
      'any',
    );
    const [a, b] = await store.readStream(stream);
    expect(a).toMatchObject({ data, metadata: { correlationId: 'c-1' } });
    expect(b).toMatchObject({ data: null, metadata: {} });
  });

  it('reads all events by position with an exclusive `after` and a literal stream prefix', async () => {
    const s = await openTestStore();
    try {
      await s.append('a_b-1', events(2), 'no_stream');
      await s.append('axb-1', events(1), 'no_stream'); // `_` must not act as a LIKE wildcard
      await s.append('a_b-2', events(1), 'no_stream');
      const all = await s.readAll();
      expect(all.map((e) => e.streamId)).toEqual(['a_b-1', 'a_b-1', 'axb-1', 'a_b-2']);
      expect((await s.readAll({ after: all[1]!.position })).map((e) => e.position)).toEqual([all[2]!.position, all[3]!.position]);
      expect((await s.readAll({ streamPrefix: 'a_b-' })).map((e) => e.streamId)).toEqual(['a_b-1', 'a_b-1', 'a_b-2']);
      expect(await s.readAll({ maxCount: 1 })).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it('rejects bad input before touching the database', async () => {
    const small = await openTestStore({ maxEventBytes: 100 });
    try {
      const stream = sagaStream();
      await expect(small.append(stream, [{ id: uuidv7(), type: 'Big', data: 'x'.repeat(200) }], 'any')).rejects.toBeInstanceOf(PayloadTooLargeError);
      await expect(small.append('$system', events(1), 'any')).rejects.toBeInstanceOf(StreamNameError);
      expect(await small.readStream(stream)).toEqual([]);
    } finally {
      await small.close();
    }
    await expect(small.append(sagaStream(), events(1), 'any')).rejects.toBeInstanceOf(StoreClosedError);
    await expect(small.readAll()).rejects.toBeInstanceOf(StoreClosedError);
  });
});

describe('postgres store: expected revisions and idempotency', () => {
  it('fences writers with the expected revision', async () => {
    const stream = sagaStream();
    await store.append(stream, events(2), 'no_stream');
    await expect(store.append(stream, events(1), 'no_stream')).rejects.toBeInstanceOf(StreamVersionConflictError);
    const wrong = await store.append(stream, events(1), 0).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(StreamVersionConflictError);
    expect((wrong as StreamVersionConflictError).details).toMatchObject({ streamId: stream, expected: 0, actual: 1 });
    await expect(store.append(sagaStream(), events(1), 0)).rejects.toBeInstanceOf(StreamVersionConflictError);
    expect((await store.append(stream, events(1), 'any')).nextRevision).toBe(2);
    expect((await store.readStream(stream)).length).toBe(3);
  });

  it('returns the original result for a re-append of the same ids at the same expected revision', async () => {
    const stream = sagaStream();
    const batch = events(2);
    await store.append(stream, events(1), 'no_stream');
    const original = await store.append(stream, batch, 0);
    await store.append(stream, events(1), 2); // the stream moves on; the retry must still be recognised
    expect(await store.append(stream, batch, 0)).toEqual(original);
    expect(await store.append(stream, batch, 'any')).toEqual(original);
    await expect(store.append(stream, batch, 3)).rejects.toBeInstanceOf(StreamVersionConflictError);
    await expect(store.append(stream, [batch[0]!, ...events(1)], 0)).rejects.toBeInstanceOf(StreamVersionConflictError);
    await expect(store.append(sagaStream(), batch, 'any')).rejects.toBeInstanceOf(StreamVersionConflictError);
    expect((await store.readStream(stream)).map((e) => e.id)).toHaveLength(4);
  });

  it('recognises a retry whose ids differ only in letter case (uuid semantics)', async () => {
    const stream = sagaStream();
    const batch = events(2);
    const original = await store.append(stream, batch, 'no_stream');
    expect(
      await store.append(
        stream,
        batch.map((e) => ({ ...e, id: e.id.toUpperCase() })),
        'no_stream',
      ),
    ).toEqual(original);
    expect((await store.readStream(stream)).map((e) => e.id)).toEqual(batch.map((e) => e.id));
  });

  it('stores concurrent identical appends once', async () => {
    const stream = sagaStream();
    const batch = events(3);
    const results = await Promise.all(Array.from({ length: 8 }, () => store.append(stream, batch, 'no_stream')));
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(await store.readStream(stream)).toHaveLength(3);
  });

  it('lets exactly one of many concurrent writers win each revision', async () => {
    const stream = sagaStream();
    const writers = 12;
    const perWriter = 5;
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let k = 0; k < perWriter; ) {
          const last = (await store.readStream(stream, { direction: 'backwards', maxCount: 1 }))[0];
          try {
            await store.append(stream, [{ id: uuidv7(), type: 'W', data: { w, k } }], last ? last.revision : 'no_stream');
            k++;
          } catch (error) {
            if (!(error instanceof StreamVersionConflictError)) throw error;
            conflicts++;
          }
        }
      }),
    );
    const stored = await store.readStream(stream);
    expect(stored.map((e) => e.revision)).toEqual(Array.from({ length: writers * perWriter }, (_, i) => i));
    for (let w = 0; w < writers; w++) {
      expect(stored.filter((e) => (e.data as { w: number }).w === w).map((e) => (e.data as { k: number }).k)).toEqual([0, 1, 2, 3, 4]);
    }
    expect(conflicts).toBeGreaterThan(0);
  });
});

describe('postgres store: group commit', () => {
  it('a batch that loses an event-id race to another transaction falls back to one call per append; only the loser fails', async () => {
    const s = await openTestStore();
    const other = await rawClient();
    try {
      const raced = events(1)[0]!;
      // Another process has inserted the id, uncommitted: the batch's check cannot see it, its insert waits on it.
      await other.query('BEGIN');
      const xid = (await other.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid')).rows[0]!.xid;
      await other.query(`SELECT o_outcome FROM "${s.schema}".append_batch($1, $2, $3, $4, $5, $6, $7, $8, $9)`, appendBatchArgs('elsewhere-1', -1, [raced]));
      const streams = Array.from({ length: 5 }, () => sagaStream());
      const appends = Promise.allSettled(streams.map((stream, i) => s.append(stream, i === 2 ? [...events(1), raced] : events(2), 'no_stream')));
      // pg_locks, not pg_stat_activity: a backend on its first extended-protocol statement may still report 'idle' and its previous query.
      await pollFor(
        async () =>
          (await other.query(`SELECT 1 FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted AND transactionid::text = $1`, [xid])).rowCount === 1,
        10_000,
        'the batch to wait on the uncommitted id',
      );
      await other.query('COMMIT');
      const settled = await appends;
      expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      const error = (settled[2] as PromiseRejectedResult).reason as StreamVersionConflictError;
      expect(error).toBeInstanceOf(StreamVersionConflictError);
      expect(error.details).toMatchObject({ streamId: streams[2], expected: 'no_stream', actual: 'no_stream', reason: 'event_id_in_use', eventId: raced.id });
      for (const [i, stream] of streams.entries()) expect(await s.readStream(stream)).toHaveLength(i === 2 ? 0 : 2);
    } finally {
      await other.end();
      await s.close();
    }
  });
  it('appends issued in one tick: an id stored by another stream fails that append alone (event_id_in_use); same-stream appends keep their order', async () => {
    const base = sagaStream();
    const used = events(1)[0]!;
    await store.append(`${base}-b`, [used], 'no_stream');
    const one = events(2);
    const two = events(1);
    const [reused, fresh, a1, a2] = await Promise.allSettled([
      store.append(`${base}-c`, [...events(1), used], 'no_stream'),
      store.append(`${base}-d`, events(3), 'no_stream'),
      store.append(`${base}-a`, one, 'no_stream'),
      store.append(`${base}-a`, two, 1),
    ]);
    expect(reused.status).toBe('rejected');
    expect((reused as PromiseRejectedResult).reason).toBeInstanceOf(StreamVersionConflictError);
    expect(((reused as PromiseRejectedResult).reason as StreamVersionConflictError).details).toMatchObject({
      reason: 'event_id_in_use',
      eventId: used.id,
      actual: 'no_stream',
    });
    expect(fresh).toMatchObject({ status: 'fulfilled', value: { nextRevision: 2 } });
    expect(a1).toMatchObject({ status: 'fulfilled', value: { nextRevision: 1 } });
    expect(a2).toMatchObject({ status: 'fulfilled', value: { nextRevision: 2 } });
    expect(await store.readStream(`${base}-c`)).toEqual([]);
    expect((await store.readStream(`${base}-a`)).map((e) => e.id)).toEqual([...one, ...two].map((e) => e.id));
  });

  it('append_batch called twice in one transaction of the caller continues the ordinals (no position clash)', async () => {
    const s = await openTestStore();
    const client = await rawClient();
    try {
      const call = (stream: string, batch: ReturnType<typeof events>) =>
        client.query<{ o_position: string }>(
          `SELECT o_position FROM "${s.schema}".append_batch($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          appendBatchArgs(stream, -1, batch),
        );
      await client.query('BEGIN');
      const first = Number((await call('tx-a', events(3))).rows[0]!.o_position);
      const second = Number((await call('tx-b', events(2))).rows[0]!.o_position);
      await client.query('COMMIT');
      expect(second).toBe(first + 2);
      expect((await s.readAll()).map((e) => e.position)).toEqual([first - 2, first - 1, first, first + 1, first + 2]);
    } finally {
      await client.end();
      await s.close();
    }
  });
});

describe('postgres store: schema and connections', () => {
  it('migrates once when many processes open a new schema at the same time', async () => {
    const schema = freshSchema('mig');
    const stores = await Promise.all(Array.from({ length: 6 }, () => openTestStore({ schema })));
    await Promise.all(stores.map((s, i) => s.append(`s-${i}`, events(1), 'no_stream')));
    expect(await stores[0]!.readAll()).toHaveLength(6);
    await Promise.all(stores.map((s) => s.close()));
    const client = await rawClient();
    await client.query(postgresMigrationSql(schema)); // a DBA re-running it is harmless
    await client.end();
  });

  it('validates the schema name, and with migrate: false explains how to migrate', async () => {
    expect(postgresMigrationSql()).toContain('CREATE TABLE IF NOT EXISTS "sagaflow".events');
    await expect(openTestStore({ schema: 'Robert"); DROP TABLE x; --' })).rejects.toThrow(/Invalid PostgreSQL schema name/);
    const schema = freshSchema('bare');
    await expect(openTestStore({ schema, migrate: false })).rejects.toThrow(`Apply postgresMigrationSql('${schema}')`);
    const client = await rawClient();
    await client.query(postgresMigrationSql(schema));
    await client.end();
    const migrated = await openTestStore({ schema, migrate: false });
    expect((await migrated.append(sagaStream(), events(1), 'no_stream')).nextRevision).toBe(0);
    await migrated.close();
  });

  it('fails to open an unreachable server with an error naming the URL but not the password', async () => {
    const url = `postgres://alice:${TEST_PASSWORD}@127.0.0.1:1/orders`;
    const error = await createPostgresEventStore({ connectionString: url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain('postgres://alice:***@127.0.0.1:1/orders');
    expect(message).toMatch(/Check that the server is running and accepts TCP connections on 127\.0\.0\.1:1/);
    expect(message).not.toContain(TEST_PASSWORD);
    expect(JSON.stringify((error as StoreUnavailableError).details)).not.toContain(TEST_PASSWORD);
  });

  it('retries an append whose connection drops mid-transaction, storing its events once', async () => {
    const s = await openTestStore();
    const admin = await rawClient();
    try {
      // An AFTER INSERT trigger parks the append inside its transaction until we let go.
      await admin.query(`CREATE FUNCTION "${s.schema}".park() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_advisory_lock_shared(4242); PERFORM pg_advisory_unlock_shared(4242); RETURN NULL; END $$`);
      await admin.query(`CREATE TRIGGER park AFTER INSERT ON "${s.schema}".events FOR EACH STATEMENT EXECUTE FUNCTION "${s.schema}".park()`);
      await admin.query('SELECT pg_advisory_lock(4242)');
      const parked = async (): Promise<number | undefined> =>
        (await admin.query<{ pid: number }>(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND NOT granted`)).rows[0]?.pid;

      const stream = sagaStream();
      const append = s.append(stream, events(3), 'no_stream');
      const first = await pollFor(parked, 10_000, 'the append to park');
      await admin.query('SELECT pg_terminate_backend($1)', [first]);
      const second = await pollFor(async () => ((await parked()) !== first ? parked() : undefined), 10_000, 'the retry to park');
      expect(second).not.toBe(first);
      await admin.query('SELECT pg_advisory_unlock(4242)');
      expect(await append).toMatchObject({ nextRevision: 2 });
      expect((await s.readStream(stream)).map((e) => e.revision)).toEqual([0, 1, 2]);
    } finally {
      await admin.end();
      await s.close();
    }
  });
});
