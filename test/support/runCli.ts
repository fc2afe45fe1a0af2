/**
 * Runs the `sagaflow` CLI as a user does, in a child process: `tsx src/cli/main.ts …` (through
 * node: what `npx tsx` runs, without npx's own start-up). Never rejects, so tests can assert on
 * failing exit codes. NO_COLOR and FORCE_COLOR are cleared unless given.
 */
import { execFile } from 'node:child_process';

/** What a CLI run printed and how it exited. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link runCli}. */
export interface RunCliOptions {
  env?: NodeJS.ProcessEnv;
  /** Run as this user (and group): a root test process uses it to make file modes apply. */
  uid?: number;
  gid?: number;
}

export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  for (const name of ['NO_COLOR', 'FORCE_COLOR'] as const) if (options.env?.[name] === undefined) delete env[name];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: process.cwd(), timeout: 120_000, env, maxBuffer: 64 << 20, ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid }) },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}
