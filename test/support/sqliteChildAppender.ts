/**
 * A second process on a SQLite store file, for the cross-process tests. Usage:
 *   node --import tsx test/support/sqliteChildAppender.ts <path> append <stream> <count> <delayMs>
 *     appends <count> single events to <stream>, pausing <delayMs> between them
 *   node --import tsx test/support/sqliteChildAppender.ts <path> race <stream> <count> <delayMs>
 *     appends <count> events with "read last revision, append at it, retry on conflict",
 *     pausing <delayMs> after each success (so that the other process gets its turns too)
 *   node --import tsx test/support/sqliteChildAppender.ts <path> subscribe-and-close
 *     subscribes, appends, closes: the process must then exit by itself
 * Prints the appended event ids as one JSON array on stdout.
 */
import { v7 } from 'uuid';
import { StreamVersionConflictError } from '../../src/core/errors.js';
import { createSqliteEventStore } from '../../src/stores/sqlite/index.js';

const [path, mode, stream = '', countArg = '0', delayArg = '0'] = process.argv.slice(2);
if (!path || !mode) throw new Error('usage: sqliteChildAppender.ts <path> <mode> ...');
const store = createSqliteEventStore({ path });
const ids: string[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

if (mode === 'append') {
  for (let i = 0; i < Number(countArg); i++) {
    const id = v7();
    await store.append(stream, [{ id, type: 'FromChild', data: { i, pid: process.pid } }], i === 0 ? 'no_stream' : i - 1);
    ids.push(id);
    await sleep(Number(delayArg));
  }
} else if (mode === 'race') {
  for (let i = 0; i < Number(countArg); i++) {
    const id = v7();
    for (;;) {
      const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
      try {
        await store.append(stream, [{ id, type: 'Raced', data: { i, pid: process.pid } }], last ? last.revision : 'no_stream');
        break;
      } catch (error) {
        if (!(error instanceof StreamVersionConflictError)) throw error;
      }
    }
    ids.push(id);
    await sleep(Number(delayArg));
  }
} else if (mode === 'subscribe-and-close') {
  let delivered = 0;
  store.subscribeToAll({ streamPrefix: `saga-${v7()}`, onEvent: () => void delivered++ });
  store.subscribeToAll({ onEvent: () => void delivered++ });
  const id = v7();
  await store.append(`saga-${v7()}`, [{ id, type: 'Exit', data: null }], 'no_stream');
  ids.push(id);
  await sleep(50);
} else {
  throw new Error(`unknown mode ${mode}`);
}
await store.close();
process.stdout.write(JSON.stringify(ids));
