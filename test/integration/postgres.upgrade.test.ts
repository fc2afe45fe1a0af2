/**
 * Schema version 1 (identity positions, the advisory append lock) upgraded in place to the
 * current version (xid positions): stored events keep their positions and stay readable, new
 * ones come after them, and a reader paging across the upgrade misses nothing; the open-stream
 * index is incomplete until the runtime's scan adopts it. Version 2 (the saga-aware `sagas`
 * table) upgraded to version 3: the index is completed from the `sagas` rows, without a scan.
 */
import { describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { findUnfinishedSagas, sagaOpenStreamPlanner } from '../../src/runtime/unfinishedSagas.js';
import { postgresMigrationSql } from '../../src/stores/postgres/index.js';
import { events, freshSchema, openTestStore, rawClient } from '../support/postgresTestStore.js';

/** The tables of schema version 1, as its migration created them. */
function versionOneSql(s: string): string {
  return `CREATE SCHEMA ${s};
CREATE TABLE ${s}.events (
  position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, event_id uuid NOT NULL, stream_id text NOT NULL,
  revision bigint NOT NULL, type text NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT events_event_id_key UNIQUE (event_id), CONSTRAINT events_stream_revision_key UNIQUE (stream_id, revision));
CREATE INDEX events_type_idx ON ${s}.events (type);
CREATE TABLE ${s}.streams (stream_id text PRIMARY KEY, revision bigint NOT NULL);
CREATE TABLE ${s}.sagas (saga_id text PRIMARY KEY, stream_id text NOT NULL UNIQUE, status text NOT NULL, next_run_at timestamptz,
  lease_owner text, lease_until timestamptz, updated_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX sagas_runnable_idx ON ${s}.sagas (next_run_at) WHERE status = 'running';
CREATE VIEW ${s}.orchestration_checkpoints AS SELECT substr(e.stream_id, 6) AS saga_id, e.stream_id, e.revision, e.position FROM ${s}.events e;
CREATE TABLE ${s}.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
INSERT INTO ${s}.schema_version (version) VALUES (1);`;
}

describe('postgres store: upgrades in place', () => {
  it('keeps stored positions, appends above them, and refuses migrate: false until upgraded', async () => {
    const schema = freshSchema('v1');
    const s = `"${schema}"`;
    const client = await rawClient();
    try {
      await client.query(versionOneSql(s));
      // Identity positions far above what the xid counter gives: the upgrade must lift new ones over them.
      const old = [uuidv7(), uuidv7(), uuidv7()];
      await client.query(
        `INSERT INTO ${s}.events (position, event_id, stream_id, revision, type, data) OVERRIDING SYSTEM VALUE
         SELECT (1::bigint << 44) + r, id, 'old-1', r, 'Old', '{}' FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, r1), LATERAL (SELECT r1 - 1 AS r) AS x`,
        [old],
      );
      await client.query(`INSERT INTO ${s}.streams VALUES ('old-1', 2)`);
      // An unfinished saga of version 1: the index must learn of it from the runtime's scan.
      await client.query(
        `INSERT INTO ${s}.events (position, event_id, stream_id, revision, type, data) OVERRIDING SYSTEM VALUE VALUES ((1::bigint << 44) + 3, $1, 'saga-old', 0, 'SagaStarted', '{}')`,
        [uuidv7()],
      );
      await client.query(`INSERT INTO ${s}.streams VALUES ('saga-old', 0)`);

      await expect(openTestStore({ schema, migrate: false })).rejects.toThrow(/schema version 1; this version needs 4\. Apply postgresMigrationSql/);

      const store = await openTestStore({ schema });
      try {
        store.openStreams.usePlanner(sagaOpenStreamPlanner);
        expect(await store.openStreams.list({ streamPrefix: 'saga-', limit: 10 })).toMatchObject({ complete: false, streamIds: [] });
        expect((await findUnfinishedSagas(store)).sagaIds).toEqual(['old']); // the scan, then adopt
        expect(await store.openStreams.list({ streamPrefix: 'saga-', limit: 10 })).toMatchObject({ complete: true, streamIds: ['saga-old'] });
        const before = (await store.readAll()).filter((e) => e.streamId === 'old-1');
        expect(before.map((e) => [e.id, e.position])).toEqual(old.map((id, r) => [id, 2 ** 44 + r]));
        const next = await store.append('old-1', events(2), 2);
        expect(next.nextRevision).toBe(4);
        expect(next.position).toBeGreaterThan(2 ** 44 + 2);
        const fresh = await store.append('new-1', events(1), 'no_stream');
        const all = await store.readAll({ after: before.at(-1)!.position });
        expect(all.map((e) => e.streamId)).toEqual(['saga-old', 'old-1', 'old-1', 'new-1']);
        expect(all.at(-1)!.position).toBe(fresh.position);
        expect(Number.isSafeInteger(fresh.position)).toBe(true);
        expect((await store.readStream('old-1')).map((e) => e.revision)).toEqual([0, 1, 2, 3, 4]);
      } finally {
        await store.close();
      }
      await client.query(postgresMigrationSql(schema)); // running it again is harmless
      const reopened = await openTestStore({ schema, migrate: false });
      expect((await reopened.readAll()).length).toBe(7);
      await reopened.close();
    } finally {
      await client.end();
    }
  });

  it('upgrades version 3 to 4: the set-based append_batch replaces the per-stream one, and appends keep their outcomes', async () => {
    const seeded = await openTestStore();
    const schema = seeded.schema;
    const s = `"${schema}"`;
    await seeded.append('kept', events(2), 'no_stream');
    await seeded.close();
    const client = await rawClient();
    try {
      // Version 3: the same tables; its append_batch had no set-based path (a stand-in body marks it).
      const before = await appendBatchDefinition(client, schema);
      await client.query(`DELETE FROM ${s}.schema_version WHERE version = 4`);
      await client.query(before.replace('IF v_existing = 0 THEN', 'IF false THEN'));
      await expect(openTestStore({ schema, migrate: false })).rejects.toThrow(/schema version 3; this version needs 4/);

      const store = await openTestStore({ schema });
      try {
        expect(await appendBatchDefinition(client, schema)).toContain('IF v_existing = 0 THEN');
        expect((await store.append('kept', events(1), 1)).nextRevision).toBe(2);
        await expect(store.append('kept', events(1), 1)).rejects.toMatchObject({ code: 'STREAM_VERSION_CONFLICT' });
        expect((await store.readStream('kept')).map((e) => e.revision)).toEqual([0, 1, 2]);
      } finally {
        await store.close();
      }
    } finally {
      await client.end();
    }
  });

  it('upgrades version 2 to the current one: the running rows of `sagas` complete the open-stream index, and `sagas` is dropped', async () => {
    const seeded = await openTestStore();
    const schema = seeded.schema;
    const s = `"${schema}"`;
    const type = (t: string) => [{ id: uuidv7(), type: t, data: {} }];
    // Appended without a planner, then the schema is made to look like version 2 around them.
    await seeded.append('saga-running', type('SagaStarted'), 'no_stream');
    await seeded.append('saga-parked', [...type('SagaStarted'), ...type('SagaFailed')], 'no_stream');
    await seeded.append('saga-done', [...type('SagaStarted'), ...type('SagaCompleted')], 'no_stream');
    await seeded.close();
    const client = await rawClient();
    try {
      await client.query(`DROP TABLE ${s}.open_streams, ${s}.meta; DELETE FROM ${s}.schema_version WHERE version >= 3;
        CREATE TABLE ${s}.sagas (saga_id text PRIMARY KEY, stream_id text NOT NULL UNIQUE, status text NOT NULL, next_run_at timestamptz,
          lease_owner text, lease_until timestamptz, updated_at timestamptz NOT NULL DEFAULT now());
        INSERT INTO ${s}.sagas (saga_id, stream_id, status) VALUES ('running', 'saga-running', 'running'), ('parked', 'saga-parked', 'parked');
        CREATE FUNCTION ${s}.append_batch(text[], bigint[], integer[], uuid[], text[], integer[], jsonb, jsonb, text[], text[], text[], text[], timestamptz[], text[], timestamptz[])
          RETURNS void LANGUAGE sql AS 'SELECT'`);
      await expect(openTestStore({ schema, migrate: false })).rejects.toThrow(/schema version 2; this version needs 4/);

      const store = await openTestStore({ schema });
      try {
        store.openStreams.usePlanner(sagaOpenStreamPlanner);
        const first = (await store.readStream('saga-running'))[0]!;
        expect(await store.openStreams.list({ streamPrefix: 'saga-', limit: 10 })).toMatchObject({ complete: true, streamIds: ['saga-running'] });
        const { rows } = await client.query(`SELECT opened_at FROM ${s}.open_streams`);
        expect(rows.map((r) => Number(r.opened_at))).toEqual([first.position]);
        expect((await client.query(`SELECT to_regclass('${s}.sagas') AS t`)).rows[0].t).toBeNull();
        expect(
          (
            await client.query(
              `SELECT count(*)::int AS n FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = 'append_batch'`,
              [schema],
            )
          ).rows[0].n,
        ).toBe(1);
        await store.append('saga-running', type('SagaCompleted'), 0);
        expect((await store.openStreams.list({ streamPrefix: 'saga-', limit: 10 })).streamIds).toEqual([]);
      } finally {
        await store.close();
      }
    } finally {
      await client.end();
    }
  });

  it('realigns positions on open when stored ones are ahead of the xid counter (a restore into a new cluster)', async () => {
    const store = await openTestStore();
    const schema = store.schema;
    const client = await rawClient();
    try {
      await store.append('before-1', events(1), 'no_stream');
      // What a pg_dump/restore into a fresh cluster looks like: positions from a far larger xid.
      const restored = events(1)[0]!;
      await client.query(
        `INSERT INTO "${schema}".events (position, event_id, stream_id, revision, type, data) VALUES ((1::bigint << 45) + 7, $1, 'restored-1', 0, 'Old', '{}')`,
        [restored.id],
      );
      await client.query(`INSERT INTO "${schema}".streams VALUES ('restored-1', 0)`);
      await store.close();
      const reopened = await openTestStore({ schema });
      try {
        const next = await reopened.append('restored-1', events(1), 0);
        expect(next.position).toBeGreaterThan(2 ** 45 + 7);
        expect((await reopened.readAll()).map((e) => e.streamId)).toEqual(['before-1', 'restored-1', 'restored-1']);
      } finally {
        await reopened.close();
      }
    } finally {
      await client.end();
    }
  });
});

/** The installed append_batch's source (pg_get_functiondef). */
async function appendBatchDefinition(
  client: { query(text: string, values: unknown[]): Promise<{ rows: { def: string }[] }> },
  schema: string,
): Promise<string> {
  const { rows } = await client.query(
    `SELECT pg_get_functiondef(p.oid) AS def FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = 'append_batch'`,
    [schema],
  );
  return String(rows[0]?.def);
}
