/**
 * One fault-test run, shared by the chaos, outage and race tests: set up the participants'
 * books, start worker processes, start the seeded sagas from a client engine (runSagas: false)
 * in this process, optionally kill workers at random or do something nasty meanwhile, wait
 * until every saga is terminal, stop the workers gracefully, then check the streams and the
 * books. Returns every problem found (empty: all good) and the figures of the run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, createStore, TERMINAL_EVENT_TYPES } from '../../src/index.js';
import type { EventStore, RecordedEvent } from '../../src/index.js';
import { checkBooks, type BookFigures } from './chaosBooks.js';
import { createChaosTables, openChaosDb } from './chaosDb.js';
import { sagas } from './chaosSagas.js';
import { checkStreams, readSagaStreams, type StreamFigures } from './chaosStreams.js';
import { WorkerFleet } from './chaosWorkers.js';
import { CLOSED_ACCOUNT, openingBalances, planWorkload, seededRandom, type PlannedSaga, type WorkloadOptions } from './chaosWorkload.js';

export interface ChaosRunOptions {
  label: string;
  storeUrl: string;
  participantsUrl: string;
  workers: number;
  workload: WorkloadOptions;
  /** SIGKILL a random worker about this often (and start a new one); null: no kills. */
  killEveryMs: number | null;
  /** Of those strikes, the share that freezes the worker (SIGSTOP) for `ms` instead. @default none */
  freeze?: { rate: number; ms: number };
  /** Strike only while more than this many workers are up and ready. @default 1 */
  keepUp?: number;
  /**
   * Hold back the last quarter of the sagas until the monkey has SIGKILLed this many workers, so
   * the run cannot end before the chaos happened however slowly workers start on a loaded
   * machine (a restarted PostgreSQL worker once took 3.2 s to be ready under the full test run,
   * and 500 sagas ended after 2 kills). @default 0
   */
  minKills?: number;
  /** Start every saga before any worker is up (the race test). @default false */
  startBeforeWorkers?: boolean;
  /** The whole run must end within this, or it fails saying how far it got. */
  timeoutMs: number;
  leaseMs?: number;
  concurrency?: number;
  /** pino level of the workers' logs. @default CHAOS_LOG_LEVEL, else 'warn' */
  logLevel?: string;
  /** Runs while the sagas run (the outage); gets the number of terminal sagas so far. */
  during?: (progress: () => number, fleet: WorkerFleet) => Promise<void>;
}

export interface ChaosRunResult {
  problems: string[];
  figures: StreamFigures &
    BookFigures & {
      sagas: number;
      completed: number;
      compensated: number;
      kills: number;
      freezes: number;
      restarts: number;
      durationMs: number;
      meanStartupMs: number;
    };
  fleet: WorkerFleet;
  /** Every saga stream, by saga id. */
  streams: Map<string, RecordedEvent[]>;
}

/** Follows the saga streams (incrementally) to know which sagas are terminal. */
class TerminalTracker {
  private after = 0;
  readonly last = new Map<string, string>();
  lastError: string | undefined;
  constructor(private readonly store: EventStore) {}
  async poll(): Promise<void> {
    try {
      for (;;) {
        const page = await this.store.readAll({ after: this.after, streamPrefix: 'saga-', maxCount: 5_000 });
        for (const e of page) this.last.set(e.streamId.slice('saga-'.length), e.type);
        this.after = page.at(-1)?.position ?? this.after;
        if (page.length < 5_000) return;
      }
    } catch (error) {
      // The store is down (the outage test): try again on the next poll.
      this.lastError = error instanceof Error ? error.message : String(error);
    }
  }
  terminal(): number {
    return [...this.last.values()].filter((t) => TERMINAL_EVENT_TYPES.has(t)).length;
  }
}

export async function runChaos(options: ChaosRunOptions): Promise<ChaosRunResult> {
  const started = Date.now();
  const opening = openingBalances();
  await createChaosTables(options.participantsUrl, opening, [CLOSED_ACCOUNT]);
  const store = await createStore(options.storeUrl);
  const client = await createEngine({ store, sagas, runSagas: false });
  const fleet = new WorkerFleet({
    storeUrl: options.storeUrl,
    env: { CHAOS_PARTICIPANTS: options.participantsUrl },
    count: options.workers,
    logDir: mkdtempSync(join(tmpdir(), `sagaflow-${options.label}-logs-`)),
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
  });
  const planned = planWorkload(options.workload);
  const byId = new Map<string, PlannedSaga>();
  const holdBackFrom = options.minKills ? Math.floor(planned.length * 0.75) : planned.length;
  let heldBack: Promise<void> | undefined;
  const enoughKills = async (): Promise<void> => {
    const until = started + options.timeoutMs / 2;
    while (fleet.kills < (options.minKills ?? 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  };
  const startAll = async (): Promise<void> => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < planned.length) {
          if (next >= holdBackFrom) {
            heldBack ??= enoughKills();
            await heldBack;
          }
          if (next >= planned.length) break;
          const saga = planned[next++] as PlannedSaga;
          const { sagaId } = await client.start(saga.name, saga.input, { idempotencyKey: saga.key }).catch((error: unknown) => {
            throw new Error(
              `${options.label}: the client could not start saga ${saga.key} (${fleet.kills} kills so far): ${error instanceof Error ? error.message : String(error)}`,
              { cause: error },
            );
          });
          byId.set(sagaId, saga);
        }
      }),
    );
  };
  const tracker = new TerminalTracker(store);
  const problems: string[] = [];
  let finished = false;
  try {
    if (options.startBeforeWorkers) await startAll();
    await fleet.start();
    if (options.killEveryMs !== null) fleet.startKilling(options.killEveryMs, seededRandom(options.workload.seed + 1), options.freeze, options.keepUp);
    if (!options.startBeforeWorkers) await startAll();
    const during = options.during?.(() => tracker.terminal(), fleet) ?? Promise.resolve();
    during.catch(() => undefined); // awaited (and rethrown) below
    const deadline = started + options.timeoutMs;
    for (;;) {
      await tracker.poll();
      if (tracker.terminal() >= planned.length) break;
      if (Date.now() > deadline) {
        const stuck = [...byId.keys()].filter((id) => !TERMINAL_EVENT_TYPES.has(tracker.last.get(id) ?? ''));
        throw new Error(
          `${options.label}: timed out after ${Math.round((Date.now() - started) / 1000)} s with ${tracker.terminal()} of ${planned.length} sagas terminal ` +
            `(${fleet.kills} kills). Unfinished, with their last event: ${stuck
              .slice(0, 10)
              .map((id) => `${id} ${tracker.last.get(id) ?? '(no stream)'}`)
              .join(', ')}. ` +
            `${fleet.unexpectedExits.length} worker(s) exited on their own${fleet.unexpectedExits[0] ? `, the first: ${fleet.unexpectedExits[0]}` : ''}. ` +
            `${tracker.lastError ? `Last store error seen by the test: ${tracker.lastError}. ` : ''}Worker logs: ${fleet.logDir}`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    await during;
    finished = true;
  } finally {
    problems.push(...(await fleet.stop()));
    await client.close();
    if (!finished) await store.close();
  }
  const durationMs = Date.now() - started;
  problems.push(...fleet.unexpectedExits);

  const streams = await readSagaStreams(store);
  await store.close();
  const report = checkStreams(streams, sagas, new Map([...byId].map(([id, s]) => [id, s.expect])));
  problems.push(...report.problems);
  const db = openChaosDb(options.participantsUrl);
  const joined = new Map([...report.states].map(([id, state]) => [id, { planned: byId.get(id) as PlannedSaga, state }]));
  const books = await checkBooks(db, joined, opening).finally(() => db.close());
  problems.push(...books.problems);

  const statuses = [...report.states.values()].map((s) => s.status);
  const figures = {
    sagas: planned.length,
    completed: statuses.filter((s) => s === 'completed').length,
    compensated: statuses.filter((s) => s === 'compensated').length,
    kills: fleet.kills,
    freezes: fleet.freezes,
    restarts: fleet.restarts,
    durationMs,
    meanStartupMs: Math.round(fleet.startupMs.reduce((a, b) => a + b, 0) / Math.max(1, fleet.startupMs.length)),
    ...report.figures,
    ...books.figures,
  };
  console.log(
    `[${options.label}] seed ${options.workload.seed}: ${figures.sagas} sagas (${figures.completed} completed, ${figures.compensated} compensated) in ${(durationMs / 1000).toFixed(1)} s; ` +
      `${figures.kills} kills, ${figures.freezes} freezes, ${figures.restarts} restarts, worker startup ${figures.meanStartupMs} ms on average, ${Object.keys(figures.intentsByWorker).length} worker processes ran attempts; ` +
      `${figures.sharedSagas} sagas ran on more than one worker, ` +
      `${figures.takeovers} takeovers (${figures.inDoubtReruns} re-ran a lost attempt), ${figures.leaseExtensions} lease extensions, ${figures.abandonedInDoubt} abandoned in doubt; ` +
      `${figures.events} events in ${figures.appends} appends; participants: ${figures.presented} calls, ${figures.applied} keys applied once, ${figures.repeats} repeats deduplicated; ` +
      `${problems.length} problems`,
  );
  return { problems, figures, fleet, streams };
}
