/** The in-memory store beyond the contract: isolation of stored values, id uniqueness, size option. */
import { v7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, StreamVersionConflictError } from '../../../src/core/errors.js';
import { createInMemoryEventStore } from '../../../src/stores/inMemory/index.js';

describe('in-memory event store', () => {
  it('is not affected by callers mutating what they appended or read', async () => {
    const store = createInMemoryEventStore();
    const stream = `saga-${v7()}`;
    const data = { nested: { n: 1 } };
    await store.append(stream, [{ id: v7(), type: 'E', data }], 'no_stream');
    data.nested.n = 2;
    const [read] = await store.readStream(stream);
    (read!.data as { nested: { n: number } }).nested.n = 3;
    expect((await store.readStream(stream))[0]!.data).toEqual({ nested: { n: 1 } });
  });

  it('rejects reusing an event id in a different append, appending nothing', async () => {
    const store = createInMemoryEventStore();
    const reused = { id: v7(), type: 'E', data: null };
    await store.append(`saga-${v7()}`, [reused], 'no_stream');
    const other = `saga-${v7()}`;
    const error = await store.append(other, [{ id: v7(), type: 'E', data: null }, reused], 'any').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamVersionConflictError);
    expect((error as StreamVersionConflictError).details).toMatchObject({ reason: 'event_id_in_use', eventId: reused.id });
    expect(await store.readStream(other)).toEqual([]);
  });

  it('honours maxEventBytes', async () => {
    const store = createInMemoryEventStore({ maxEventBytes: 100 });
    await expect(store.append(`saga-${v7()}`, [{ id: v7(), type: 'E', data: 'x'.repeat(100) }], 'any')).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(store.append(`saga-${v7()}`, [{ id: v7(), type: 'E', data: 'x'.repeat(50) }], 'any')).resolves.toMatchObject({ nextRevision: 0, position: 1 });
  });
});
