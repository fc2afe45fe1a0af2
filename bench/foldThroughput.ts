/**
 * Fold throughput: a 10,000-event saga stream (a 50-step saga whose steps retry and renew
 * their leases, then compensate) folded from nothing, on one core. Reported with and without
 * the zod parse every stored event gets when it is read.
 * Run: npx tsx bench/foldThroughput.ts [events=10000] [rounds=200]
 */
import { fold, parseSagaEvent, sagaEvent } from '../src/core/index.js';
import type { SagaEvent } from '../src/core/index.js';

/** A plausible long stream: every event type the runtime writes, in a valid order. */
export function longStream(target: number): SagaEvent[] {
  const stepCount = 50;
  const names = Array.from({ length: stepCount }, (_, i) => `step${i}`);
  const at = 1_700_000_000_000;
  const events: SagaEvent[] = [
    sagaEvent('SagaStarted', {
      sagaId: 'bench',
      saga: 'bench',
      version: 1,
      input: { n: 1 },
      steps: names.map((name) => ({ name, optional: false, checkpoint: false, compensable: true })),
      idempotencyKey: null,
      at,
    }),
  ];
  const heartbeats = Math.max(0, Math.floor((target - 1 - stepCount * 6 - stepCount * 3) / stepCount));
  names.forEach((step, i) => {
    const t = at + i * 1000;
    events.push(sagaEvent('StepStarted', { step, attempt: 1, worker: 'w', leaseUntil: t + 750, at: t }));
    events.push(
      sagaEvent('StepFailed', { step, attempt: 1, kind: 'transient', exhausted: false, error: { name: 'E', code: 'E', message: 'down' }, at: t + 1 }),
    );
    events.push(sagaEvent('RetryScheduled', { phase: 'step', step, attempt: 2, dueAt: t + 2, at: t + 1 }));
    events.push(sagaEvent('StepStarted', { step, attempt: 2, worker: 'w', leaseUntil: t + 752, at: t + 2 }));
    for (let h = 0; h < heartbeats; h++)
      events.push(sagaEvent('LeaseExtended', { phase: 'step', step, attempt: 2, worker: 'w', leaseUntil: t + 800 + h, at: t + 3 + h }));
    events.push(sagaEvent('StepSucceeded', { step, attempt: 2, output: { id: i }, at: t + 900 }));
    events.push(sagaEvent('CheckpointRecorded', { step: null, snapshot: null, at: t + 900 }));
  });
  const end = at + stepCount * 1000;
  events.push(sagaEvent('CompensationPlanned', { cause: 'cancel', failedStep: null, plan: [...names].reverse(), at: end }));
  [...names].reverse().forEach((step, i) => {
    events.push(sagaEvent('CompensationStarted', { step, attempt: 1, worker: 'w', leaseUntil: end + i + 750, at: end + i }));
    events.push(sagaEvent('CompensationSucceeded', { step, attempt: 1, at: end + i }));
  });
  events.push(sagaEvent('SagaCompensated', { at: end + stepCount }));
  return events;
}

function rate(events: number, rounds: number, run: () => void): number {
  for (let i = 0; i < 5; i++) run(); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) run();
  const ns = Number(process.hrtime.bigint() - t0);
  return (events * rounds) / (ns / 1e9);
}

export function foldThroughput(target = 10_000, rounds = 200): { foldPerSecond: number; parseAndFoldPerSecond: number; events: number } {
  const events = longStream(target);
  const stored = events.map((e, revision) => ({ type: e.type, data: JSON.parse(JSON.stringify(e.data)) as unknown, revision }));
  const foldPerSecond = rate(events.length, rounds, () => {
    if (fold(events)?.status !== 'compensated') throw new Error('bench stream folds wrong');
  });
  const parseAndFoldPerSecond = rate(events.length, Math.max(1, Math.floor(rounds / 5)), () => {
    fold(stored.map((r) => parseSagaEvent(r, { streamId: 'saga-bench', revision: r.revision })));
  });
  return { foldPerSecond, parseAndFoldPerSecond, events: events.length };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = foldThroughput(Number(process.argv[2] ?? 10_000), Number(process.argv[3] ?? 200));
  console.log(
    `fold of a ${r.events}-event stream: ${(r.foldPerSecond / 1e6).toFixed(2)} M events/s; with the zod parse of each event: ${(r.parseAndFoldPerSecond / 1e6).toFixed(2)} M events/s`,
  );
}
