/**
 * Durable signals, sampled (fast-check over the pure core): random sagas of 1–5 steps, most of
 * them waiting for one of two signals, and random inputs — signals sent in any order, with
 * repeated ids, by a client or to the worker, before, during and after the waits, mixed with
 * attempt outcomes, timeouts and a cancel (src/testing/signalScenario.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canContinue, isTerminal, violations } from '../../src/core/index.js';
import type { SagaState } from '../../src/core/index.js';
import { runSignalScenario, signalScenarioArb } from '../../src/testing/index.js';
import type { SignalScenario, SignalScenarioInput } from '../../src/testing/index.js';
import { propertyRuns } from '../support/propertyRuns.js';

const RUNS = propertyRuns(1_000);

describe('signals under random sends (pure core)', () => {
  it('every signal is applied exactly once to the state, whatever the order and duplication of sends: received once, then kept or consumed by one step, whose output is the payload it was first received with', () => {
    fc.assert(
      fc.property(signalScenarioArb, (scenario) => {
        const report = runSignalScenario(scenario);
        const final = report.states.at(-1) as SagaState;
        const receivedEvents = report.events.flatMap((e) => (e.type === 'SignalReceived' ? [e.data] : []));
        const ids = receivedEvents.map((d) => d.signalId);
        expect(new Set(ids).size).toBe(ids.length);
        const book = final.signals ?? { received: [], inbox: [], consumed: {}, waiting: null };
        expect(book.received).toEqual(ids);
        const consumed = Object.entries(book.consumed);
        const consumedEvents = report.events.flatMap((e) => (e.type === 'SignalConsumed' ? [e.data.signalId] : []));
        expect(new Set(consumedEvents).size).toBe(consumedEvents.length);
        for (const id of ids) {
          const kept = book.inbox.filter((r) => r.signalId === id).length;
          const used = consumed.filter(([, c]) => c === id).length;
          expect(kept + used, `signal ${id}`).toBe(1);
        }
        for (const [step, id] of consumed) {
          // The first send of that id with a name some step still waited for: a send no step
          // waits for is refused (and may be sent again, under its id, with the right name).
          const name = receivedEvents.find((d) => d.signalId === id)?.name;
          const first = report.sends.find((s) => s.signalId === id && s.name === name);
          expect(final.outputs[step], `output of ${step}`).toEqual(first?.payload);
          expect(report.model.steps.find((m) => m.name === step)?.signal?.name).toBe(name);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a waiting step consumes the oldest kept signal of its name: per name, the signals consumed are the first ones received, in order', () => {
    fc.assert(
      fc.property(signalScenarioArb, (scenario) => {
        const report = runSignalScenario(scenario);
        const arrivals = new Map<string, string[]>();
        const consumptions = new Map<string, string[]>();
        const nameOf = new Map<string, string>();
        for (const e of report.events) {
          if (e.type === 'SignalReceived') {
            nameOf.set(e.data.signalId, e.data.name);
            arrivals.set(e.data.name, [...(arrivals.get(e.data.name) ?? []), e.data.signalId]);
          }
          if (e.type === 'SignalConsumed') {
            const name = nameOf.get(e.data.signalId) as string;
            consumptions.set(name, [...(consumptions.get(name) ?? []), e.data.signalId]);
          }
        }
        for (const [name, used] of consumptions) expect(used).toEqual((arrivals.get(name) ?? []).slice(0, used.length));
      }),
      { numRuns: RUNS },
    );
  });

  it('every state along the stream is valid, every non-terminal one can continue, no wait is under way beside a kept signal of its name, and every run ends terminal', () => {
    fc.assert(
      fc.property(signalScenarioArb, (scenario) => {
        const report = runSignalScenario(scenario);
        for (const [i, s] of report.states.entries()) {
          expect(violations(s, report.model), `state ${i}`).toEqual([]);
          if (!isTerminal(s)) expect(canContinue(report.model, s, s.updatedAt), `state ${i} (${s.status})`).toBe(true);
          // After a transition, a kept signal is never left beside a wait for its name: the wait
          // consumes it in the same append (a client's lone SignalReceived is settled by the next Tick).
          const w = s.signals?.waiting;
          if (w && report.settled[i])
            expect(
              s.signals?.inbox.filter((r) => r.name === w.signal),
              `state ${i}`,
            ).toEqual([]);
        }
        expect(isTerminal(report.states.at(-1) as SagaState)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('sending every signal twice at once changes nothing: the same events, the same signals consumed', () => {
    fc.assert(
      fc.property(signalScenarioArb, (scenario) => {
        const doubled: SignalScenario = {
          ...scenario,
          inputs: scenario.inputs.flatMap((i): SignalScenarioInput[] => (i.type === 'send' ? [i, { ...i, via: 'client' }] : [i])),
        };
        const once = runSignalScenario(scenario);
        const twice = runSignalScenario(doubled);
        expect(twice.events.map((e) => e.type)).toEqual(once.events.map((e) => e.type));
        expect(twice.states.at(-1)?.signals?.consumed).toEqual(once.states.at(-1)?.signals?.consumed);
      }),
      { numRuns: RUNS },
    );
  });
});
