/**
 * What one saga costs the PostgreSQL server, counted by the server itself:
 * - commits: `pg_stat_database.xact_commit` of the engine's database (every committed
 *   transaction, including each autocommit statement such as a read);
 * - statements: `sum(calls)` of `pg_stat_statements` for that database (every top-level
 *   statement the client sent, BEGIN and COMMIT included: each is a round trip);
 * - WAL flushes: `pg_stat_wal.wal_sync` (cluster-wide; nothing else writes while we count):
 *   the fsyncs durability costs, fewer than the commits when group commit shares one flush.
 *
 * Method, per engine and workload: counters before, then prepare (fresh schema, engine up),
 * N sagas, finish (engine and pool closed); again with 0 sagas; (with − without) ÷ N. The
 * 0-saga run removes the start-up and migration. Counters are read after the engine's
 * connections are gone, because a backend reports its pg_stat_database and pg_stat_wal
 * counts only now and then while it lives, and always when it exits (pg_stat_statements
 * counts at once).
 */
import type pg from 'pg';
import type { Contender } from './contender.js';
import { sleep } from './support.js';
import { withClient } from './benchCluster.js';
import { timeWorkload, type Workload } from './workloads.js';

interface Counters {
  commits: number;
  walSyncs: number;
  statements: Map<string, { query: string; calls: number }>;
}

async function read(client: pg.Client, database: string): Promise<Counters> {
  // Wait for the engine's backends to exit, so their counts are flushed.
  for (let i = 0; i < 100; i++) {
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1', [database]);
    if (Number(rows[0]?.n) === 0) break;
    await sleep(50);
  }
  await sleep(200);
  const db = await client.query<{ c: string }>('SELECT xact_commit AS c FROM pg_stat_database WHERE datname = $1', [database]);
  const wal = await client.query<{ s: string }>('SELECT wal_sync AS s FROM pg_stat_wal');
  const st = await client.query<{ id: string; query: string; calls: string }>(
    'SELECT queryid::text AS id, query, calls FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1)',
    [database],
  );
  return {
    commits: Number(db.rows[0]?.c ?? 0),
    walSyncs: Number(wal.rows[0]?.s ?? 0),
    statements: new Map(st.rows.map((r) => [r.id, { query: r.query, calls: Number(r.calls) }])),
  };
}

interface Cost {
  commits: number;
  walSyncs: number;
  statements: Map<string, { query: string; calls: number }>;
}

function difference(after: Counters, before: Counters): Cost {
  const statements = new Map<string, { query: string; calls: number }>();
  for (const [id, s] of after.statements) statements.set(id, { query: s.query, calls: s.calls - (before.statements.get(id)?.calls ?? 0) });
  return { commits: after.commits - before.commits, walSyncs: after.walSyncs - before.walSyncs, statements };
}

async function cost(adminUrl: string, database: string, contender: Contender, workload: Workload, sagas: number, runId: string): Promise<Cost> {
  return withClient(adminUrl, async (client) => {
    const before = await read(client, database);
    await contender.prepare(runId);
    try {
      if (sagas > 0) await timeWorkload(contender, workload, sagas);
    } finally {
      await contender.finish();
    }
    return difference(await read(client, database), before);
  });
}

export interface CountRow {
  [column: string]: string | number;
}

const total = (c: Cost): number => [...c.statements.values()].reduce((s, x) => s + x.calls, 0);

/** Per-saga commits, statements and WAL flushes of `contender` for each workload; plus the statements of the first workload, by text. */
export async function countPerSaga(
  adminUrl: string,
  database: string,
  contender: Contender,
  workloads: readonly Workload[],
  sagas: number,
  tag: string,
): Promise<{ rows: CountRow[]; statements: CountRow[] }> {
  const rows: CountRow[] = [];
  let statements: CountRow[] = [];
  for (const [w, workload] of workloads.entries()) {
    // The 0-saga baseline each time: it must see the same start-up as the measured run.
    const base = await cost(adminUrl, database, contender, workload, 0, `${tag}_w${w}_base`);
    const run = await cost(adminUrl, database, contender, workload, sagas, `${tag}_w${w}_n`);
    rows.push({
      engine: contender.name,
      workload: workload.id,
      sagas,
      'commits/saga': (run.commits - base.commits) / sagas,
      'statements/saga': (total(run) - total(base)) / sagas,
      'WAL flushes/saga': (run.walSyncs - base.walSyncs) / sagas,
    });
    if (w === 0) {
      const byText = new Map<string, number>();
      // Each run has its own schema, so the same statement has another text (and queryid) per run.
      const text = (q: string): string => q.replace(/\b(bench|dbos)_[a-z0-9_]+/g, '<schema>').replace(/\s+/g, ' ');
      for (const s of run.statements.values()) byText.set(text(s.query), (byText.get(text(s.query)) ?? 0) + s.calls);
      for (const s of base.statements.values()) byText.set(text(s.query), (byText.get(text(s.query)) ?? 0) - s.calls);
      statements = [...byText.entries()]
        .filter(([, calls]) => calls > 0)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 15)
        .map(([query, calls]) => ({ engine: contender.name, 'calls/saga': calls / sagas, statement: query.replace(/\|/g, '\\|').slice(0, 140) }));
    }
  }
  return { rows, statements };
}
