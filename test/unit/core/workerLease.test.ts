/**
 * The attempt's lease becomes its worker's on stores with worker liveness
 * (TransitionContext.workerAliveUntil): a known death ends it at once, a live record extends
 * it, an expired record shortens nothing, and this worker's own entry is ignored.
 */
import { describe, expect, it } from 'vitest';
import { fold, transition } from '../../../src/core/index.js';
import type { SagaState, TransitionContext } from '../../../src/core/index.js';
import { T0, model, started, stepStarted } from '../../support/coreFixtures.js';

// reserve started by w1 at T0 with its own lease until T0 + 1_000.
const state = fold([started(), stepStarted('reserve')]) as SagaState;
const ctx = (workerAliveUntil?: Map<string, number>, workerId = 'w2'): TransitionContext => ({
  workerId,
  leaseMs: 1_000,
  random: 0,
  ...(workerAliveUntil ? { workerAliveUntil } : {}),
});
const tick = (now: number) => ({ type: 'Tick' as const, now });

describe('transition: the lease of another worker’s attempt is its worker’s liveness', () => {
  it('without liveness, a survivor waits for the attempt’s own lease', () => {
    expect(transition(model, state, tick(T0 + 10), ctx())).toEqual({ events: [], effects: [{ type: 'SetTimer', at: T0 + 1_000, reason: 'lease' }] });
  });

  it('a worker known dead (0) loses its attempt at once, long before the attempt’s lease runs out', () => {
    const next = transition(model, state, tick(T0 + 10), ctx(new Map([['w1', 0]])));
    expect(next.events.map((e) => e.type)).toEqual(['StepStarted']);
    expect(next.events[0]?.data).toMatchObject({ step: 'reserve', attempt: 2, worker: 'w2' });
    expect(next.effects).toMatchObject([{ type: 'PerformAttempt', step: 'reserve', attempt: 2 }]);
  });

  it('a live worker keeps its attempt past the attempt’s own lease, with no LeaseExtended: the survivor waits for the record', () => {
    expect(transition(model, state, tick(T0 + 5_000), ctx(new Map([['w1', T0 + 5_600]])))).toEqual({
      events: [],
      effects: [{ type: 'SetTimer', at: T0 + 5_600, reason: 'lease' }],
    });
  });

  it('a hung worker (its record expired) is taken over once both its record and the attempt’s lease ran out', () => {
    expect(transition(model, state, tick(T0 + 5_000), ctx(new Map([['w1', T0 + 4_900]]))).events.map((e) => e.type)).toEqual(['StepStarted']);
  });

  it('an expired record shortens nothing: an attempt started after the worker’s last renewal keeps its own lease', () => {
    expect(transition(model, state, tick(T0 + 10), ctx(new Map([['w1', T0 - 500]])))).toEqual({
      events: [],
      effects: [{ type: 'SetTimer', at: T0 + 1_000, reason: 'lease' }],
    });
  });

  it('this worker’s own entry is ignored: its own attempt from before a restart waits out its lease', () => {
    expect(transition(model, state, tick(T0 + 10), ctx(new Map([['w1', 0]]), 'w1'))).toEqual({
      events: [],
      effects: [{ type: 'SetTimer', at: T0 + 1_000, reason: 'lease' }],
    });
  });

  it('the events folded keep the stream’s own lease: the liveness only changes what decide sees', () => {
    const next = transition(model, state, tick(T0 + 5_000), ctx(new Map([['w1', T0 + 5_600]])));
    expect(fold(next.events, state)?.inFlight?.leaseUntil).toBe(T0 + 1_000);
  });
});
