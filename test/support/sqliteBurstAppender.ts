/**
 * A second process group-committing on a SQLite store file, for the group-commit tests. Usage:
 *   node --import tsx test/support/sqliteBurstAppender.ts <path> <prefix> <rounds> <width> <delayMs>
 * Each round starts <width> appends at once, one event each to streams <prefix>-0 ..
 * <prefix>-<width-1> (expected revision = the round), waits for all of them, then pauses
 * <delayMs>. Prints [{ id, position }] of every append, in the order they were started.
 */
import { v7 } from 'uuid';
import { createSqliteEventStore } from '../../src/stores/sqlite/index.js';

const [path, prefix, roundsArg = '0', widthArg = '0', delayArg = '0'] = process.argv.slice(2);
if (!path || !prefix) throw new Error('usage: sqliteBurstAppender.ts <path> <prefix> <rounds> <width> <delayMs>');
const store = createSqliteEventStore({ path });
const results: { id: string; position: number }[] = [];
for (let round = 0; round < Number(roundsArg); round++) {
  const appends = Array.from({ length: Number(widthArg) }, async (_, w) => {
    const id = v7();
    const { position } = await store.append(`${prefix}-${w}`, [{ id, type: 'Burst', data: { round, w } }], round === 0 ? 'no_stream' : round - 1);
    return { id, position };
  });
  results.push(...(await Promise.all(appends)));
  await new Promise((resolve) => setTimeout(resolve, Number(delayArg)));
}
await store.close();
process.stdout.write(JSON.stringify(results));
