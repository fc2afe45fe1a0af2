/**
 * The saga of the worker-liveness tests: step `hold` touches `<hangFile>.<attempt>` and, while
 * `hangFile` exists, never returns (its worker is to be killed or frozen); then `after` runs.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { defineSaga } from '../../src/index.js';

export function livenessSagas(hangFile: string) {
  const held = defineSaga({ name: 'held', input: z.object({}) })
    .step('hold', {
      run: async ({ attempt }) => {
        writeFileSync(`${hangFile}.${attempt}`, String(process.pid));
        if (existsSync(hangFile)) await new Promise(() => {});
        return process.pid;
      },
    })
    .step('after', { run: () => 'done' });
  return [held] as const;
}
