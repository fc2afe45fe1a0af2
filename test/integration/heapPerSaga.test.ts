/**
 * A long-running worker must not grow with the sagas it has finished: nothing of a finished
 * saga stays in the engine. 20,000 sagas in a child process with --expose-gc.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-heap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface HeapReport {
  sagas: number;
  keptPerSaga: number;
  keptAfterClose: number;
}

function measure(sagas: number): Promise<HeapReport> {
  const script = resolve(import.meta.dirname, '../support/heapPerSaga.ts');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script, join(dir, 'heap.db'), String(sagas)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise(JSON.parse(out) as HeapReport) : reject(new Error(`heap child exited ${code}: ${err}`))));
  });
}

describe('memory of a long-running engine', () => {
  it('keeps under 200 bytes of heap per finished saga over 20,000 sagas, and gives it back on close', async () => {
    const report = await measure(20_000);
    console.log(`heap kept per finished saga: ${report.keptPerSaga.toFixed(1)} B (after close: ${report.keptAfterClose.toFixed(1)} B)`);
    expect(report.keptPerSaga).toBeLessThan(200);
    expect(report.keptAfterClose).toBeLessThan(200);
  }, 300_000);
});
