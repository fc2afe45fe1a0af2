/**
 * Sagas for the restart tests. Participants log every call to a file (one JSON line each),
 * so the books survive the SIGKILL of the process that made the call.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { defineSaga, TransientError } from '../../src/index.js';

export interface Call {
  step: string;
  attempt: number;
  key: string;
  pid: number;
  at: number;
}

export function readCalls(file: string): Call[] {
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Call)
    : [];
}

/** `hangFile`: while it exists, step `b` touches `<hangFile>.running` and never returns (the process is to be killed). */
export function restartSagas(callsFile: string, hangFile: string) {
  const record = (step: string, attempt: number, key: string) =>
    appendFileSync(callsFile, `${JSON.stringify({ step, attempt, key, pid: process.pid, at: Date.now() })}\n`);
  const hanging = defineSaga({ name: 'hanging', input: z.object({}) })
    .step('a', {
      run: ({ attempt, idempotencyKey }) => {
        record('a', attempt, idempotencyKey);
        return 'a';
      },
    })
    .step('b', {
      run: async ({ attempt, idempotencyKey }) => {
        record('b', attempt, idempotencyKey);
        if (existsSync(hangFile)) {
          writeFileSync(`${hangFile}.running`, String(process.pid));
          await new Promise(() => {});
        }
        return 'b';
      },
    })
    .step('c', {
      run: ({ attempt, idempotencyKey }) => {
        record('c', attempt, idempotencyKey);
        return 'c';
      },
    });
  const retrying = defineSaga({ name: 'retrying', input: z.object({}) }).step('flaky', {
    retry: { immediateAttempts: 0, initialDelayMs: 1_500, maxDelayMs: 1_500, jitter: 'none' },
    run: ({ attempt, idempotencyKey }) => {
      record('flaky', attempt, idempotencyKey);
      if (attempt === 1) throw new TransientError('first call fails');
      return 'ok';
    },
  });
  return [hanging, retrying] as const;
}
