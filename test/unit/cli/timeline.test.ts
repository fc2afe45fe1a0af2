import { describe, expect, it } from 'vitest';
import { formatDuration, formatTimeline } from '../../../src/cli/timeline.js';
import type { TimelineEvent } from '../../../src/cli/timeline.js';

const T0 = 1_767_225_600_000;
const error = { name: 'ParticipantError', code: 'GATEWAY_TIMEOUT', message: 'no answer' };
const steps = [
  { name: 'reserve', optional: false, checkpoint: false, compensable: true },
  { name: 'charge', optional: false, checkpoint: false, compensable: true },
  { name: 'ship', optional: true, checkpoint: false, compensable: false },
];

/** A saga that retries `charge` twice, then fails `ship` permanently and compensates. */
const events: TimelineEvent[] = [
  ['SagaStarted', { sagaId: 's', saga: 'order', version: 2, input: {}, steps, idempotencyKey: 'cart-1', at: T0 }],
  ['StepStarted', { step: 'reserve', attempt: 1, worker: 'w', leaseUntil: T0 + 5_000, at: T0 }],
  ['StepSucceeded', { step: 'reserve', attempt: 1, output: null, at: T0 + 12 }],
  ['StepStarted', { step: 'charge', attempt: 1, worker: 'w', leaseUntil: T0 + 5_012, at: T0 + 12 }],
  ['StepFailed', { step: 'charge', attempt: 1, kind: 'transient', exhausted: false, error, at: T0 + 20 }],
  ['RetryScheduled', { phase: 'step', step: 'charge', attempt: 2, dueAt: T0 + 20, at: T0 + 20 }],
  ['StepStarted', { step: 'charge', attempt: 2, worker: 'w', leaseUntil: T0 + 5_020, at: T0 + 20 }],
  ['StepFailed', { step: 'charge', attempt: 2, kind: 'transient', exhausted: false, error, at: T0 + 25 }],
  ['RetryScheduled', { phase: 'step', step: 'charge', attempt: 3, dueAt: T0 + 1_525, at: T0 + 25 }],
  ['StepStarted', { step: 'charge', attempt: 3, worker: 'w', leaseUntil: T0 + 6_525, at: T0 + 1_525 }],
  ['StepSucceeded', { step: 'charge', attempt: 3, output: null, at: T0 + 1_530 }],
  ['StepFailed', { step: 'ship', attempt: 1, kind: 'permanent', exhausted: false, error: { ...error, code: 'NO_ROUTE' }, at: T0 + 1_540 }],
  ['RolledBack', { step: 'ship', toCheckpoint: null, at: T0 + 1_540 }],
  ['CompensationPlanned', { cause: 'permanent', failedStep: 'ship', plan: ['charge', 'reserve'], at: T0 + 1_540 }],
  ['CompensationStarted', { step: 'charge', attempt: 1, worker: 'w', leaseUntil: T0 + 9_000, at: T0 + 1_541 }],
  ['CompensationFailed', { step: 'charge', attempt: 1, kind: 'transient', error, at: T0 + 1_600 }],
  ['RetryScheduled', { phase: 'compensation', step: 'charge', attempt: 2, dueAt: T0 + 1_700, at: T0 + 1_600 }],
  ['SagaFailed', { reason: 'gave up', step: 'charge', needsAttention: true, at: T0 + 65_000 }],
].map(([type, data], revision) => ({ revision, type: type as string, data }));

describe('formatTimeline', () => {
  const lines = formatTimeline(events);

  it('has a header and one line per event, with revision, relative time and type', () => {
    expect(lines).toHaveLength(events.length + 1);
    expect(lines[0]).toMatch(/^rev\s+time\s+event\s+step\s+attempt\s+details$/);
    expect(lines[1]).toMatch(/^ {2}0 {2}\+0ms\s+SagaStarted\s+order v2: reserve → charge → ship\? {2}key cart-1$/);
    expect(lines[11]).toMatch(/^ 10 {2}\+1\.53s\s+StepSucceeded\s+charge\s+3 {2}took 5ms$/);
    expect(lines.at(-1)).toMatch(/^ 17 {2}\+1m05s\s+SagaFailed\s+charge\s+PARKED, needs attention: gave up$/);
  });

  it('shows how long each attempt took, and the classified error of a failure', () => {
    expect(lines[3]).toContain('took 12ms');
    expect(lines[5]).toMatch(/StepFailed\s+charge\s+1 {2}took 8ms {2}transient: GATEWAY_TIMEOUT: no answer$/);
    expect(lines[16]).toMatch(/CompensationFailed\s+charge\s+1 {2}took 59ms {2}transient: GATEWAY_TIMEOUT/);
  });

  it('shows retry delays, immediate or after a backoff, for steps and compensations', () => {
    expect(lines[6]).toMatch(/RetryScheduled\s+charge\s+2 {2}attempt 2 immediately$/);
    expect(lines[9]).toMatch(/RetryScheduled\s+charge\s+3 {2}attempt 3 in 1\.5s$/);
    expect(lines[17]).toMatch(/compensation attempt 2 in 100ms$/);
  });

  it('shows the rollback and the compensation plan in reverse order', () => {
    expect(lines[13]).toMatch(/RolledBack\s+ship\s+rolled back \(no checkpoint recorded yet\)$/);
    expect(lines[14]).toMatch(/CompensationPlanned\s+cause permanent at ship; plan: charge → reserve$/);
  });

  it('aligns columns: every event type starts at the same offset', () => {
    const offsets = lines.slice(1).map((l, i) => l.indexOf(events[i]?.type as string));
    expect(new Set(offsets).size).toBe(1);
  });

  it('can drop the header and indent', () => {
    const plain = formatTimeline(events.slice(0, 2), { header: false, indent: '> ' });
    expect(plain).toHaveLength(2);
    expect(plain.every((l) => l.startsWith('> '))).toBe(true);
  });

  it('shows unknown and malformed events raw instead of dropping them', () => {
    const odd = formatTimeline(
      [events[0] as TimelineEvent, { revision: 1, type: 'FromTheFuture', data: { x: 1, at: T0 + 3 } }, { revision: 2, type: 'StepStarted', data: { step: 7 } }],
      { header: false },
    );
    expect(odd[1]).toMatch(/\+3ms\s+FromTheFuture\s+\(unrecognised\) \{"x":1,"at":\d+\}$/);
    expect(odd[2]).toMatch(/^ ?2 {2}\?\s+StepStarted\s+\(unrecognised\) \{"step":7\}$/);
  });

  it('is empty (but for the header) for no events, and pure', () => {
    expect(formatTimeline([])).toHaveLength(1);
    expect(formatTimeline(events)).toEqual(lines);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [999, '999ms'],
    [1_000, '1s'],
    [1_250, '1.25s'],
    [59_999, '59.99s'],
    [125_000, '2m05s'],
    [-1, '?'],
    [Number.NaN, '?'],
  ])('%d ms → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('formatTimeline of a migrated saga', () => {
  it('shows SagaMigrated with the versions and what counts as done', () => {
    const migrated: TimelineEvent[] = [
      { revision: 0, type: 'SagaStarted', data: { sagaId: 's', saga: 'order', version: 1, input: {}, steps, idempotencyKey: null, at: T0 } },
      {
        revision: 1,
        type: 'SagaMigrated',
        data: {
          from: 1,
          to: 2,
          steps: steps.map((s) => ({ ...s, attempts: 0 })),
          input: {},
          outputs: { reserve: null },
          succeeded: ['reserve'],
          skipped: ['ship'],
          at: T0 + 5,
        },
      },
    ];
    expect(formatTimeline(migrated, { header: false })[1]).toMatch(/SagaMigrated\s+migrated from version 1 to 2; done: reserve, ship \(skipped\)$/);
  });
});
