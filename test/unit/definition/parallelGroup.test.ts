import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { DefinitionError, defineSaga } from '../../../src/index.js';

const base = () => defineSaga({ name: 'trip', input: z.object({ id: z.string() }) }).step('reserve', { run: () => ({ seat: 1 }) });

function fieldOf(build: () => unknown): string | undefined {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(DefinitionError);
    return (error as DefinitionError).details?.['field'] as string | undefined;
  }
  throw new Error('expected a DefinitionError');
}

describe('.parallel(name, { concurrency }, (g) => g.step(…)…)', () => {
  it('records each branch with its group and concurrency, in order, after the steps before it; branches keep their own policies', () => {
    const saga = base()
      .parallel('book', { concurrency: 2 }, (g) =>
        g.step('hotel', { run: () => ({ room: 7 }), retry: { maxAttempts: 2 } }).step('flight', { run: () => ({ no: 'LX1' }), timeoutMs: 5_000 }),
      )
      .step('pay', { run: () => true });
    expect(saga.steps.map((s) => [s.name, s.parallel?.group, s.parallel?.concurrency])).toEqual([
      ['reserve', undefined, undefined],
      ['hotel', 'book', 2],
      ['flight', 'book', 2],
      ['pay', undefined, undefined],
    ]);
    expect(saga.steps[1]?.retry.maxAttempts).toBe(2);
    expect(saga.steps[2]?.timeoutMs).toBe(5_000);
    expect('parallel' in (saga.steps[0] as object)).toBe(false);
  });

  it('concurrency defaults to every branch at once', () => {
    const saga = base().parallel('book', {}, (g) =>
      g
        .step('a', { run: () => 1 })
        .step('b', { run: () => 2 })
        .step('c', { run: () => 3 }),
    );
    expect(saga.steps.at(-1)?.parallel).toEqual({ group: 'book', concurrency: 3 });
  });

  it('types: a branch sees the steps before the group (not its siblings); the steps after see every branch', () => {
    base()
      .parallel('book', { concurrency: 2 }, (g) =>
        g
          .step('hotel', {
            run: ({ outputs }) => {
              expectTypeOf(outputs.reserve).toEqualTypeOf<{ seat: number }>();
              return { room: 7 };
            },
          })
          .step('flight', {
            run: ({ outputs }) => {
              // @ts-expect-error a sibling's output is not there: branches run concurrently
              void outputs.hotel;
              return { no: 'LX1' };
            },
          }),
      )
      .step('pay', {
        run: ({ outputs }) => {
          expectTypeOf(outputs.hotel).toEqualTypeOf<{ room: number }>();
          expectTypeOf(outputs.flight).toEqualTypeOf<{ no: string }>();
          return true;
        },
      });
  });

  it('is validated at definition time, with a DefinitionError naming the field', () => {
    expect(fieldOf(() => base().parallel('book', { concurrency: 0 }, (g) => g.step('a', { run: () => 1 })))).toBe('concurrency');
    expect(fieldOf(() => base().parallel('book', { concurrency: 1.5 }, (g) => g.step('a', { run: () => 1 })))).toBe('concurrency');
    expect(fieldOf(() => base().parallel('book', {}, (g) => g))).toBe('steps');
    expect(fieldOf(() => base().parallel('bad name', {}, (g) => g.step('a', { run: () => 1 })))).toBe('name');
    expect(fieldOf(() => base().parallel('reserve', {}, (g) => g.step('a', { run: () => 1 })))).toBe('name');
    // biome-ignore lint/suspicious/noExplicitAny: a caller without types
    expect(fieldOf(() => base().parallel('book', {}, (() => undefined) as any))).toBe('build');
    // A branch's own fields are checked as any step's; names are unique across the saga.
    expect(fieldOf(() => base().parallel('book', {}, (g) => g.step('a', { run: () => 1, retry: { maxAttempts: 0 } })))).toBe('retry.maxAttempts');
    // biome-ignore lint/suspicious/noExplicitAny: the duplicate is a compile error too
    expect(fieldOf(() => base().parallel('book', {}, (g: any) => g.step('reserve', { run: () => 1 })))).toBe('name');
    // biome-ignore lint/suspicious/noExplicitAny: as above
    expect(fieldOf(() => base().parallel('book', {}, (g: any) => g.step('a', { run: () => 1 }).step('a', { run: () => 2 })))).toBe('name');
  });
});
