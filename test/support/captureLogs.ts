/** A pino logger (the real adapter) whose JSON lines the test can read back. */
import { Writable } from 'node:stream';
import { createPinoLogger } from '../../src/index.js';
import type { Logger } from '../../src/index.js';

export function captureLogs(level: 'debug' | 'info' = 'info'): { lines: Record<string, unknown>[]; logger: Logger } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createPinoLogger({ level }, sink) };
}
