/**
 * The liveness tests' scenario on any store URL: a child worker process starts a `held` saga
 * whose first step hangs, a survivor engine in this process watches it, the child is SIGKILLed
 * (or SIGSTOPped: a hang) and the survivor takes the attempt over. Returns what happened.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { createEngine, defineSaga, parseSagaEvent } from '../../src/index.js';
import type { EventStore, SagaEvent, SagaResult } from '../../src/index.js';
import { livenessSagas } from './livenessSagas.js';

export async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface TakeoverRun {
  sagaId: string;
  events: (SagaEvent & { worker: unknown })[];
  /** When the signal was sent (ms since the epoch). */
  signalledAt: number;
  /** When the survivor's attempt 2 started (its StepStarted's `at`). */
  takenOverAt: number;
  /** Attempt 1's own lease: until when the killed worker's StepStarted said it holds the step. */
  firstLeaseUntil: number;
  survivorId: string;
}

/**
 * `signal`: SIGKILL (a death) or SIGSTOP (a hang; the child is killed after the takeover).
 * `store` is this process's store on the same URL; the child opens `url` itself.
 */
export async function killDuringStep(options: {
  url: string;
  store: EventStore;
  hangFile: string;
  leaseMs: number;
  signal: 'SIGKILL' | 'SIGSTOP';
  tag: string;
  /**
   * SIGSTOP only: whether the store's write lock is free right now. A process stopped inside a
   * write transaction (SQLite: an append or a renewal, microseconds long) blocks every writer
   * until it runs again — no lease can end that (docs/failures.md) — so such a stop is
   * undone (SIGCONT) and sent again: the test is about a hang outside the store.
   */
  writeLockFree?: () => boolean;
}): Promise<TakeoverRun> {
  const { url, store, hangFile, leaseMs, signal, tag } = options;
  for (const f of [hangFile, `${hangFile}.1`, `${hangFile}.2`]) rmSync(f, { force: true });
  writeFileSync(hangFile, '');
  const survivor = await createEngine({ store, sagas: livenessSagas(hangFile), leaseMs, workerId: `survivor-${tag}`, resumeUnfinished: false });
  await survivor.startWorker();
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/livenessWorker.ts', url, hangFile, String(leaseMs), `doomed-${tag}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  try {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => existsSync(`${hangFile}.1`) && out.includes('\n'), 'the worker to hang in its step');
    const { sagaId } = JSON.parse(out.trim()) as { sagaId: string };
    // The survivor must have seen the attempt start (and be waiting for its worker) before the kill.
    await new Promise((r) => setTimeout(r, 100));
    rmSync(hangFile);
    let signalledAt = Date.now();
    child.kill(signal);
    for (let tries = 1; signal === 'SIGSTOP' && options.writeLockFree && !options.writeLockFree(); tries++) {
      if (tries > 50) throw new Error('the stopped worker held the write lock at each of 50 stops');
      child.kill('SIGCONT');
      await new Promise((r) => setTimeout(r, 5));
      signalledAt = Date.now();
      child.kill('SIGSTOP');
    }
    const result = await survivor.result(sagaId, { pollMs: 5 });
    if (result.status !== 'completed') throw new Error(`saga ended ${result.status}`);
    const events = (await store.readStream(`saga-${sagaId}`)).map((e) => ({ ...parseSagaEvent(e, e), worker: e.metadata['worker'] }));
    const starts = events.filter((e) => e.type === 'StepStarted' && e.data.step === 'hold');
    const [first, second] = starts;
    if (first?.type !== 'StepStarted' || second?.type !== 'StepStarted') throw new Error('no takeover recorded');
    return { sagaId, events, signalledAt, takenOverAt: second.data.at, firstLeaseUntil: first.data.leaseUntil, survivorId: survivor.workerId };
  } finally {
    child.kill('SIGKILL');
    await exited;
    await survivor.close({ graceMs: 200 });
  }
}

/**
 * One saga whose only step runs 2.4 s — eight 300 ms leases — on two workers over two store
 * objects of the same store. (120 ms leases made a busy CI machine miss a renewal: a real
 * expiry, not the defect this guards against.) Returns its result, how often the step ran and the saga's event types.
 */
export async function longStepOnTwoWorkers(storeA: EventStore, storeB: EventStore): Promise<{ result: SagaResult; runs: number; types: string[] }> {
  let runs = 0;
  const saga = defineSaga({ name: 'long', input: z.object({}) }).step('slow', {
    run: async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 2_400));
      return 'done';
    },
  });
  const a = await createEngine({ store: storeA, sagas: [saga], leaseMs: 300 });
  const b = await createEngine({ store: storeB, sagas: [saga], leaseMs: 300 });
  try {
    await Promise.all([a.startWorker(), b.startWorker()]);
    const { sagaId } = await a.start('long', {});
    const result = await a.result(sagaId, { pollMs: 20 });
    const types = (await storeA.readStream(`saga-${sagaId}`)).map((e) => parseSagaEvent(e, e).type);
    return { result, runs, types };
  } finally {
    await Promise.all([a.close({ graceMs: 200 }), b.close({ graceMs: 200 })]);
  }
}
