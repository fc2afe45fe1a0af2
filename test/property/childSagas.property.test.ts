/**
 * Child sagas on the real engine (in-memory store): random trees of sagas — plain steps that
 * may fail permanently, child steps (some optional) whose children have steps and children of
 * their own — and a random cancel of the root. Whatever happens, every saga and every child
 * ends valid ∧ canContinue, a child never ends completed while its parent compensated the step
 * that started it, a completed parent has only completed children, and no child is left
 * running once its parent has ended.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  asChildDefinition,
  canContinue,
  childSagaId,
  createEngine,
  createInMemoryEventStore,
  defineSaga,
  PermanentError,
  valid,
  violations,
} from '../../src/index.js';
import type { AnySagaDefinition, Engine, SagaState } from '../../src/index.js';
import { propertyRuns } from '../support/propertyRuns.js';

const RUNS = propertyRuns(40);
const FAST = { immediateAttempts: 1, maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2, jitter: 'none' } as const;

/** A saga's shape: its steps in order, each a plain step or a child saga. */
interface Shape {
  steps: ({ kind: 'step'; fails: boolean } | { kind: 'child'; optional: boolean; child: Shape })[];
}

const shapeArb: fc.Arbitrary<Shape> = fc.letrec<{ shape: Shape }>((tie) => ({
  shape: fc.record({
    steps: fc.array(
      fc.oneof(
        { weight: 3, arbitrary: fc.record({ kind: fc.constant('step' as const), fails: fc.integer({ min: 0, max: 4 }).map((n) => n === 0) }) },
        { weight: 2, depthSize: 'small', arbitrary: fc.record({ kind: fc.constant('child' as const), optional: fc.boolean(), child: tie('shape') }) },
      ),
      { minLength: 1, maxLength: 3 },
    ),
  }),
})).shape;

/** Builds the definitions of a shape (children first), named by their path. */
function build(shape: Shape, name: string, all: AnySagaDefinition[]): AnySagaDefinition {
  let definition: AnySagaDefinition = defineSaga({ name, input: z.object({}) });
  shape.steps.forEach((step, i) => {
    if (step.kind === 'child') {
      const child = build(step.child, `${name}-${i}`, all);
      // Names are built at run time: the any-typed builder cannot tell they are unique.
      definition = definition.child(`c${i}` as never, { saga: child, input: () => ({}), optional: step.optional, retry: FAST, compensationRetry: FAST });
    } else {
      definition = definition.step(`s${i}` as never, {
        retry: FAST,
        run: () => {
          if (step.fails) throw new PermanentError(`step s${i} of ${name} fails`);
          return i;
        },
        compensate: () => {},
      });
    }
  });
  all.push(definition);
  return definition;
}

/** Checks one saga and, recursively, the children its child steps started. */
async function check(engine: Engine, definition: AnySagaDefinition, state: SagaState, seen: string[]): Promise<void> {
  seen.push(state.sagaId);
  const model = state.parent ? asChildDefinition(definition, state.parent.verdictTimeoutMs) : definition;
  expect(['completed', 'compensated'], `${state.saga} ${state.sagaId} ended ${state.status}`).toContain(state.status);
  expect(violations(state, model)).toEqual([]);
  expect(valid(state, model) && canContinue(model, state, Date.now())).toBe(true);
  for (const step of definition.steps.filter((s: { child?: unknown }) => s.child !== undefined)) {
    const childDefinition = step.child?.saga as AnySagaDefinition;
    const child = await engine.state(childSagaId(state.sagaId, step.name, childDefinition.name)).catch(() => undefined);
    const own = state.steps.find((s) => s.name === step.name);
    if (!child) {
      // Never started: the step never ran.
      expect(own?.attempts ?? 0).toBe(0);
      continue;
    }
    expect(child.parent).toMatchObject({ sagaId: state.sagaId, step: step.name });
    if (state.status === 'completed' && own?.status === 'succeeded') expect(child.status).toBe('completed');
    if (own?.status === 'compensated' || own?.status === 'skipped' || own?.status === 'failed' || own?.status === 'pending')
      expect(child.status, `child of ${step.name} (${own?.status})`).not.toBe('completed');
    await check(engine, childDefinition, child, seen);
  }
}

describe('child sagas under random shapes, failures and cancels', () => {
  it('every saga and child ends valid ∧ canContinue; no child completes under a compensated step; no child runs on after its parent ended', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb, fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }), async (shape, cancelAfterMs) => {
        const all: AnySagaDefinition[] = [];
        const root = build(shape, 'root', all);
        const engine = await createEngine({ store: createInMemoryEventStore(), sagas: all });
        try {
          const { sagaId } = await engine.start(root, {});
          const cancel =
            cancelAfterMs === undefined
              ? undefined
              : new Promise<void>((resolve) =>
                  setTimeout(
                    () =>
                      void engine.cancel(sagaId, 'random cancel').then(
                        () => resolve(),
                        () => resolve(),
                      ),
                    cancelAfterMs,
                  ),
                );
          await engine.result(sagaId, { pollMs: 5 });
          // Checked at once: a child still running now would be left running after its parent ended.
          const seen: string[] = [];
          await check(engine, root, await engine.state(sagaId), seen);
          await cancel;
        } finally {
          await engine.close({ graceMs: 100 });
        }
      }),
      { numRuns: RUNS },
    );
  }, 300_000);
});
