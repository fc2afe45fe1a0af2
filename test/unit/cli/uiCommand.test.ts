/**
 * `sagaflow ui` as a user runs it, in a child process: bad options and a store file that does
 * not exist exit 2 with a message, before anything listens.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-ui-'));

function ui(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npx', ['tsx', 'src/cli/main.ts', 'ui', ...args], { cwd: process.cwd(), timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sagaflow ui: usage', () => {
  it('exits 2 for a port that is not one, or a token too short, naming the rule', async () => {
    const port = await ui('--store', 'memory:', '--port', 'abc');
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('a port is an integer from 0 to 65535');
    const token = await ui('--store', 'memory:', '--token', 'short');
    expect(token.code).toBe(2);
    expect(token.stderr).toContain('a token is at least 16 characters');
  });

  it('exits 2 for a SQLite store that does not exist, instead of showing an empty one', async () => {
    const missing = await ui('--store', `sqlite:${join(dir, 'typo.db')}`, '--port', '0');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`No SQLite store at ${join(dir, 'typo.db')}`);
    expect(missing.stdout).toBe('');
  });
});
