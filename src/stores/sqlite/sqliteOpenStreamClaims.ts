/**
 * Claims on the SQLite open-stream index (openStreamIndex.ts `claim`): a side table of who
 * claimed which open stream until when (ms, the claimers' clock), created on first use (a file whose workers never claim
 * never has it, and the schema version stays). One IMMEDIATE transaction per claim: SQLite
 * serialises writers, so owners claiming at once get disjoint pages. Rows of closed streams
 * are never listed (the page joins open_streams) and are swept once their claim runs out.
 */
import type Database from 'better-sqlite3';
import type { OpenStreamsPage } from '../openStreamIndex.js';

const CLAIMS_TABLE = `
  CREATE TABLE IF NOT EXISTS open_stream_claims (
    stream_id     TEXT    PRIMARY KEY,
    claimed_by    TEXT    NOT NULL,
    claimed_until INTEGER NOT NULL
  ) WITHOUT ROWID
`;

/** What one claim asks (times in ms since the epoch, this host's clock). */
export interface SqliteClaimRequest {
  after: number;
  prefix: string;
  limit: number;
  owner: string;
  leaseMs: number;
  expiredOnly: boolean;
  now: number;
}

/** `head` and `complete` are the store's own statements (the page's position, the index's completeness). */
export function createSqliteOpenStreamClaims(
  db: Database.Database,
  head: () => number,
  complete: () => boolean,
): (request: SqliteClaimRequest) => OpenStreamsPage {
  let statements:
    | { expired: Database.Statement; heldByOthers: Database.Statement; sweep: Database.Statement; page: Database.Statement; upsert: Database.Statement }
    | undefined;
  const sql = (): NonNullable<typeof statements> => {
    if (statements) return statements;
    db.exec(CLAIMS_TABLE);
    statements = {
      expired: db.prepare('SELECT stream_id FROM open_stream_claims WHERE claimed_until <= ?').pluck(),
      heldByOthers: db
        .prepare(
          `SELECT EXISTS (SELECT 1 FROM open_stream_claims c JOIN open_streams o ON o.stream_id = c.stream_id
             WHERE c.claimed_until > ? AND c.claimed_by <> ? AND o.opened_at > ? AND substr(o.stream_id, 1, ?) = ?)`,
        )
        .pluck(),
      sweep: db.prepare('DELETE FROM open_stream_claims WHERE claimed_until <= ?'),
      // Free: no live claim (the sweep just deleted the expired ones), or the owner's own.
      page: db.prepare(
        `SELECT o.stream_id AS streamId, o.opened_at AS openedAt, c.claimed_by AS claimedBy FROM open_streams o
           LEFT JOIN open_stream_claims c ON c.stream_id = o.stream_id
          WHERE o.opened_at > ? AND substr(o.stream_id, 1, ?) = ?
            AND (c.stream_id IS NULL OR c.claimed_by = ?)
          ORDER BY o.opened_at LIMIT ?`,
      ),
      upsert: db.prepare(
        'INSERT INTO open_stream_claims (stream_id, claimed_by, claimed_until) VALUES (?, ?, ?) ON CONFLICT (stream_id) DO UPDATE SET claimed_by = excluded.claimed_by, claimed_until = excluded.claimed_until',
      ),
    };
    return statements;
  };
  const claim = db.transaction((r: SqliteClaimRequest): OpenStreamsPage => {
    const position = head();
    if (!complete()) return { complete: false, streamIds: [], next: undefined, position };
    const s = sql();
    const now = r.now;
    // expiredOnly must tell a claim that ran out from an entry never claimed: read them before the sweep.
    const expired = new Set(r.expiredOnly ? (s.expired.all(now) as string[]) : []);
    s.sweep.run(now);
    const streamIds: string[] = [];
    let next: number | undefined;
    // Read past never-claimed entries when only expired ones are wanted, up to the page size.
    for (let after = r.after; streamIds.length < r.limit; ) {
      const rows = s.page.all(after, r.prefix.length, r.prefix, r.owner, r.limit) as { streamId: string; openedAt: number; claimedBy: string | null }[];
      for (const row of rows) {
        after = row.openedAt;
        if (r.expiredOnly && row.claimedBy === null && !expired.has(row.streamId)) continue;
        if (streamIds.length === r.limit) break;
        streamIds.push(row.streamId);
        next = row.openedAt;
      }
      if (rows.length < r.limit) break;
    }
    for (const streamId of streamIds) s.upsert.run(streamId, r.owner, now + r.leaseMs);
    const heldByOthers = s.heldByOthers.get(now, r.owner, r.after, r.prefix.length, r.prefix) === 1;
    return { complete: true, streamIds, next: streamIds.length === r.limit ? next : undefined, position, heldByOthers };
  });
  return (request) => claim.immediate(request);
}
