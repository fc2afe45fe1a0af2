/**
 * Issue 8, PostgreSQL failover: a primary with a synchronous standby (real binaries, a cold
 * copy: test/support/postgresReplicaPair.ts); two `sagaflow worker` processes run 300 seeded
 * sagas against the multi-host URL of both; mid-run the primary's postmaster is SIGKILLed and
 * the standby promoted at once (`pg_ctl promote`). The store re-locates the primary and its
 * in-call retries bridge the gap, so workers ride it out and never exit.
 *
 * Then: every saga terminal and as its faults say, every stream valid, every effect applied at
 * most once (the chaos checks; the participants' books are in a SQLite file, off the failing
 * servers, so only the event store fails over), and RPO 0, checked two ways:
 * - every append this process saw acknowledged (a probe appending all along, through the same
 *   multi-host store) is on the promoted server, at its revision, and none of the probe's
 *   retried appends came back as a conflict (an append whose reply was lost with the primary
 *   is recognised by its event ids);
 * - every event on the primary just before the kill is on the promoted server.
 * And the append whose reply is lost with the primary, made deterministic: an append committed
 * on the primary just before the kill, sent again after the failover with the same event ids at
 * the same expected revision, returns its original result (not a conflict, not a duplicate).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresEventStore, type PostgresEventStore } from '../../src/stores/postgres/index.js';
import { runChaos } from '../support/chaosRun.js';
import { chaosSeed } from '../support/chaosWorkload.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { freePort, TEST_PASSWORD } from '../support/postgresServer.js';
import { rawClient, waitUntil } from '../support/postgresTestStore.js';
import { startReplicaPair, type ReplicaPair } from '../support/postgresReplicaPair.js';

let pair: ReplicaPair | undefined;
let dir: string | undefined;
beforeAll(async () => {
  pair = await startReplicaPair();
  dir = mkdtempSync(join(tmpdir(), 'sagaflow-failover-'));
});
afterAll(async () => {
  await pair?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const SAGAS = 300;

interface Acked {
  id: string;
  streamId: string;
  revision: number;
  /** Date.now() when the append resolved. */
  at: number;
}

/**
 * Appends one event at a time to each of `streams` streams, at the expected revision, and
 * records every acknowledged append: the client's view of what must survive. A failed call is
 * recorded too (after the store's retry budget, or a conflict: either would be a bug here).
 */
class AckedAppends {
  readonly acked: Acked[] = [];
  readonly failures: string[] = [];
  private stopped = false;
  private readonly loops: Promise<void>[];

  constructor(store: PostgresEventStore, streams: number) {
    this.loops = Array.from({ length: streams }, async (_, k) => {
      const streamId = `rpo-${k}-${uuidv7()}`;
      let revision = -1;
      while (!this.stopped) {
        const id = uuidv7();
        try {
          const result = await store.append(streamId, [{ id, type: 'RpoProbe', data: { revision: revision + 1 } }], revision < 0 ? 'no_stream' : revision);
          revision = result.nextRevision;
          this.acked.push({ id, streamId, revision, at: Date.now() });
        } catch (error) {
          this.failures.push(`${streamId}@${revision + 1}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
          return;
        }
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }
}

/** event_id → "stream@revision" of the given ids (all ids when undefined), read from one server directly. */
async function storedEvents(url: string, ids?: string[]): Promise<Map<string, string>> {
  const client = await rawClient(url);
  try {
    const { rows } = await client.query<{ id: string; stream_id: string; revision: string }>(
      `SELECT event_id::text AS id, stream_id, revision FROM sagaflow.events WHERE $1::uuid[] IS NULL OR event_id = ANY($1::uuid[])`,
      [ids ?? null],
    );
    return new Map(rows.map((r) => [r.id, `${r.stream_id}@${r.revision}`]));
  } finally {
    await client.end();
  }
}

describe('PostgreSQL multi-host URLs on a real pair (before the failover below)', () => {
  it('the standby listed first: appends, reads and LISTEN go to the primary; no primary among the hosts: opening fails fast, naming what each host is, never the password', async () => {
    const servers = pair as ReplicaPair;
    const standbyFirst = `postgres://postgres:${encodeURIComponent(TEST_PASSWORD)}@127.0.0.1:${servers.standby.port},127.0.0.1:${servers.primary.port}/postgres`;
    const store = await createPostgresEventStore({ connectionString: standbyFirst, schema: 'locator_check' });
    try {
      const delivered: string[] = [];
      const subscription = store.subscribeToAll({ onEvent: (e) => void delivered.push(e.id) });
      const id = uuidv7();
      await store.append(`located-${uuidv7()}`, [{ id, type: 'Located', data: null }], 'no_stream');
      const onPrimary = await rawClient(servers.primary.url);
      const stored = await onPrimary.query('SELECT 1 FROM locator_check.events WHERE event_id = $1', [id]).finally(() => onPrimary.end());
      expect(stored.rowCount, 'the event is on the primary').toBe(1);
      await waitUntil(() => delivered.includes(id), 10_000, 'the subscription to deliver the event');
      await subscription.unsubscribe();
    } finally {
      await store.close();
    }

    const nobody = await freePort();
    const opening = await createPostgresEventStore({
      connectionString: servers.standby.url,
      hosts: [
        { host: '127.0.0.1', port: servers.standby.port },
        { host: '127.0.0.1', port: nobody },
      ],
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(opening).toBeInstanceOf(StoreUnavailableError);
    const message = (opening as Error).message;
    expect(message).toContain(`127.0.0.1:${servers.standby.port} is a standby (in recovery)`);
    expect(message).toContain(`127.0.0.1:${nobody} is unreachable`);
    expect(message).not.toContain(TEST_PASSWORD);
  });
});

describe('PostgreSQL failover: the primary is SIGKILLed mid-run and its synchronous standby promoted', () => {
  it(`${SAGAS} sagas on 2 workers over a multi-host URL: workers ride it out, every saga ends as its faults say, effects at most once, RPO 0 (no acknowledged append lost)`, async () => {
    const servers = pair as ReplicaPair;
    const url = servers.multiHostUrl();
    const probeStore = await createPostgresEventStore({ connectionString: url, retryBudgetMs: 30_000 });
    const probe = new AckedAppends(probeStore, 2);
    const failover = { terminalAtKill: 0, killedAt: 0, promoteMs: 0, onPrimaryBeforeKill: new Map<string, string>() };
    const lostReply = {
      streamId: `lost-reply-${uuidv7()}`,
      events: [
        { id: uuidv7(), type: 'LostReply', data: null },
        { id: uuidv7(), type: 'LostReply', data: null },
      ],
    };
    let lostReplyResult: unknown;
    let result: Awaited<ReturnType<typeof runChaos>>;
    try {
      result = await runChaos({
        label: 'failover-postgres',
        storeUrl: url,
        participantsUrl: `sqlite:${join(dir as string, 'books.db')}`,
        workers: 2,
        killEveryMs: null,
        concurrency: 8,
        timeoutMs: 60_000,
        workload: { seed: chaosSeed(), count: SAGAS, transientRate: 0.1, permanentRate: 0.15, latencyMs: 40 },
        during: async (progress) => {
          const giveUp = Date.now() + 30_000;
          while (progress() < SAGAS / 5 && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 20));
          // The append whose reply "was lost": made on the primary alone, right before the kill.
          const onPrimary = await createPostgresEventStore({ connectionString: servers.primary.url });
          lostReplyResult = await onPrimary.append(lostReply.streamId, lostReply.events, 'no_stream').finally(() => onPrimary.close());
          failover.onPrimaryBeforeKill = await storedEvents(servers.primary.url);
          failover.terminalAtKill = progress();
          failover.killedAt = Date.now();
          servers.killPrimaryPostmaster();
          const promoting = performance.now();
          await servers.promoteStandby();
          failover.promoteMs = performance.now() - promoting;
        },
      });
      // The client retries the append it got no reply for: recognised by its ids on the promoted server.
      expect(await probeStore.append(lostReply.streamId, lostReply.events, 'no_stream'), 'the retried append after the failover').toEqual(lostReplyResult);
    } finally {
      await probe.stop();
      await probeStore.close();
    }
    const { problems, fleet } = result;

    // RPO 0, from the client's side and from the old primary's.
    const ackedIds = probe.acked.map((a) => a.id);
    const onPromoted = await storedEvents(servers.standby.url, [...ackedIds, ...failover.onPrimaryBeforeKill.keys()]);
    const lostAcked = probe.acked.filter((a) => onPromoted.get(a.id) !== `${a.streamId}@${a.revision}`);
    const lostFromPrimary = [...failover.onPrimaryBeforeKill].filter(([id, where]) => onPromoted.get(id) !== where);
    const ackedInLastSecond = probe.acked.filter((a) => a.at <= failover.killedAt && a.at > failover.killedAt - 1_000).length;

    const lines = fleet.allLogLines();
    const count = (text: string): number => lines.filter((line) => line.includes(text)).length;
    console.log(
      `[failover-postgres] primary SIGKILLed with ${failover.terminalAtKill} of ${SAGAS} sagas terminal and ${failover.onPrimaryBeforeKill.size} events on it; ` +
        `pg_ctl promote took ${Math.round(failover.promoteMs)} ms, the probe's first append acknowledged after the kill came ${(probe.acked.find((a) => a.at > failover.killedAt)?.at ?? NaN) - failover.killedAt} ms after it; the probe had ${ackedInLastSecond} appends acknowledged in the second before the kill, ${probe.acked.length} in all; ` +
        `workers logged ${count('store unavailable: retrying')} 'store unavailable' and ${count('store available again')} 'available again' lines`,
    );

    expect(problems.slice(0, 40), `${problems.length} problem(s); worker logs in ${fleet.logDir}`).toEqual([]);
    expect(failover.terminalAtKill, 'sagas terminal when the primary died: the failover hit mid-run').toBeLessThan(SAGAS);
    expect(probe.failures, 'probe appends that failed (a conflict would be a retried append not recognised)').toEqual([]);
    expect(ackedInLastSecond, 'appends acknowledged just before the kill: there was something to lose').toBeGreaterThan(0);
    expect(
      lostAcked.map((a) => `${a.streamId}@${a.revision}`),
      'acknowledged appends missing on the promoted server',
    ).toEqual([]);
    expect(lostFromPrimary.slice(0, 20), 'events on the primary before the kill, missing on the promoted server').toEqual([]);
    expect(
      probe.acked.some((a) => a.at > failover.killedAt),
      'the probe appended on the promoted server',
    ).toBe(true);
    expect(count('store unavailable: retrying'), 'workers that noticed the failover').toBeGreaterThan(0);
    rmSync(fleet.logDir, { recursive: true, force: true });
  }, 120_000);
});
