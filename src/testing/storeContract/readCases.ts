/** Contract cases: reading a stream and reading all, and what a round trip preserves. */
import { describe, expect, it } from 'vitest';
import { newEvent, newEvents, uniqueStream, isStrictlyIncreasing, markPosition, type ContractContext } from './contractContext.js';

const revisions = (events: { revision: number }[]): number[] => events.map((event) => event.revision);

export function readCases(ctx: ContractContext): void {
  describe('readStream', () => {
    it('reads forwards and backwards, from a revision, up to maxCount', async () => {
      const stream = uniqueStream();
      await ctx.store.append(stream, newEvents(10), 'no_stream');
      const read = (options?: Parameters<typeof ctx.store.readStream>[1]) => ctx.store.readStream(stream, options).then(revisions);
      expect(await read()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(await read({ direction: 'forwards', fromRevision: 7 })).toEqual([7, 8, 9]);
      expect(await read({ fromRevision: 2, maxCount: 3 })).toEqual([2, 3, 4]);
      expect(await read({ maxCount: 2 })).toEqual([0, 1]);
      expect(await read({ fromRevision: 10 })).toEqual([]);
      expect(await read({ direction: 'backwards' })).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
      expect(await read({ direction: 'backwards', maxCount: 1 })).toEqual([9]);
      expect(await read({ direction: 'backwards', fromRevision: 4, maxCount: 3 })).toEqual([4, 3, 2]);
      expect(await read({ direction: 'backwards', fromRevision: 50, maxCount: 2 })).toEqual([9, 8]);
    });

    it('reads many streams at once (a worker loading its sagas), each with its own bounds and direction, each getting only its own events in order', async () => {
      const streams = Array.from({ length: 12 }, () => uniqueStream());
      await Promise.all(streams.map((stream, i) => ctx.store.append(stream, newEvents(i + 1), 'no_stream')));
      const asks = streams.flatMap((stream, i) => [
        { stream, options: {}, want: Array.from({ length: i + 1 }, (_, r) => r) },
        { stream, options: { direction: 'backwards' as const, maxCount: 2 }, want: [i, i - 1].filter((r) => r >= 0) },
        { stream, options: { fromRevision: 1, maxCount: 3 }, want: [1, 2, 3].filter((r) => r <= i) },
      ]);
      asks.push({ stream: uniqueStream(), options: {}, want: [] });
      const read = await Promise.all(asks.map((a) => ctx.store.readStream(a.stream, a.options)));
      read.forEach((events, k) => {
        const ask = asks[k] as (typeof asks)[number];
        expect(events.every((e) => e.streamId === ask.stream)).toBe(true);
        expect(revisions(events)).toEqual(ask.want);
      });
    });

    it('reads a missing stream as [] in both directions', async () => {
      const stream = uniqueStream();
      expect(await ctx.store.readStream(stream)).toEqual([]);
      expect(await ctx.store.readStream(stream, { direction: 'backwards', maxCount: 1 })).toEqual([]);
    });

    it('round-trips data and metadata: nested objects, arrays, unicode, numbers, null', async () => {
      const stream = uniqueStream();
      const data = {
        order: {
          id: 'ord-1',
          lines: [
            { sku: 'A', qty: 2, price: 19.99 },
            { sku: 'B', qty: 1, price: 0 },
          ],
        },
        unicode: 'zażółć gęślą jaźń — 日本語 — 🚀 — "quotes" \\ \n newline \t tab',
        numbers: [0, -1, 1.5, -273.15, 1e21, 1e-7, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER],
        flags: [true, false, null],
        empty: { obj: {}, arr: [], str: '' },
      };
      const metadata = { correlationId: 'c-1', causationId: null, nested: { attempt: 3, worker: 'w-ü' } };
      await ctx.store.append(stream, [newEvent('Rich', data, metadata), newEvent('Plain', 'just a string'), newEvent('Num', 42)], 'no_stream');
      const [rich, plain, num] = await ctx.store.readStream(stream);
      expect(rich).toMatchObject({ type: 'Rich', data, metadata, revision: 0, streamId: stream });
      expect(plain).toMatchObject({ type: 'Plain', data: 'just a string', metadata: {} });
      expect(num?.data).toBe(42);
    });

    it('records recordedAt as an ISO-8601 UTC string close to now', async () => {
      const stream = uniqueStream();
      const before = Date.now();
      await ctx.store.append(stream, [newEvent()], 'no_stream');
      const [event] = await ctx.store.readStream(stream);
      expect(event?.recordedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      // Generous: a shared server's clock may differ from ours.
      expect(Math.abs(Date.parse(event!.recordedAt) - before)).toBeLessThan(10 * 60_000);
    });

    it('accepts a large event under the size limit', async () => {
      const stream = uniqueStream();
      const big = 'x'.repeat(Math.floor(ctx.options.maxEventBytes / 4));
      await ctx.store.append(stream, [newEvent('Big', { big })], 'no_stream');
      expect((await ctx.store.readStream(stream))[0]?.data).toEqual({ big });
    });
  });

  describe('readAll', () => {
    it('reads in strictly increasing position order, `after` exclusive, with prefix and maxCount', async () => {
      const start = await markPosition(ctx.store);
      const base = uniqueStream();
      const a = `${base}-a`;
      const b = `${base}-b`;
      const appended = [...(await appendAndRead(ctx, a, 2)), ...(await appendAndRead(ctx, b, 3)), ...(await appendAndRead(ctx, a, 1))];
      const all = await ctx.store.readAll({ after: start, streamPrefix: `${base}-` });
      expect(all.map((e) => e.id)).toEqual(appended);
      expect(isStrictlyIncreasing(all.map((e) => e.position))).toBe(true);
      expect(all.every((e) => e.position > start)).toBe(true);
      // `after` is exclusive.
      const rest = await ctx.store.readAll({ after: all[1]!.position, streamPrefix: `${base}-` });
      expect(rest.map((e) => e.id)).toEqual(appended.slice(2));
      expect((await ctx.store.readAll({ after: start, streamPrefix: `${base}-`, maxCount: 4 })).map((e) => e.id)).toEqual(appended.slice(0, 4));
      const onlyB = await ctx.store.readAll({ after: start, streamPrefix: b });
      expect(onlyB.map((e) => e.streamId)).toEqual([b, b, b]);
      // Without a prefix, other streams (the marker's neighbours, other tests) may appear, in order.
      const unfiltered = await ctx.store.readAll({ after: start, maxCount: 1_000 });
      expect(isStrictlyIncreasing(unfiltered.map((e) => e.position))).toBe(true);
      const ours = unfiltered.filter((e) => e.streamId.startsWith(`${base}-`)).map((e) => e.id);
      expect(ours).toEqual(appended.slice(0, ours.length));
      expect(await ctx.store.readAll({ after: all.at(-1)!.position, streamPrefix: `${base}-` })).toEqual([]);
    });

    it('returns the same events as readStream (same ids, revisions, positions)', async () => {
      const start = await markPosition(ctx.store);
      const stream = uniqueStream();
      await ctx.store.append(stream, newEvents(3), 'no_stream');
      expect(await ctx.store.readAll({ after: start, streamPrefix: stream })).toEqual(await ctx.store.readStream(stream));
    });
  });
}

async function appendAndRead(ctx: ContractContext, stream: string, n: number): Promise<string[]> {
  const events = newEvents(n);
  await ctx.store.append(stream, events, 'any');
  return events.map((event) => event.id);
}
