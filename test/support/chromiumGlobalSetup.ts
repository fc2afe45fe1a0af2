/**
 * vitest globalSetup of the browser project: the console's end-to-end tests drive Debian's
 * Chromium (`/usr/bin/chromium`) through playwright-core, which downloads no browser. When
 * it is missing, root with apt-get installs Debian's `chromium`; anyone else gets a failure
 * that says how to get it. Never skips.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where the browser tests expect Chromium (Debian's package puts it there). */
export const CHROMIUM_PATH = process.env['SAGAFLOW_CHROMIUM'] ?? '/usr/bin/chromium';

function canApt(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export default function setup(): void {
  if (existsSync(CHROMIUM_PATH)) return;
  if (canApt()) {
    console.log(`browser tests: ${CHROMIUM_PATH} is missing; installing Debian's chromium with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env, timeout: 600_000 });
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env, timeout: 900_000 });
    if (existsSync(CHROMIUM_PATH)) return;
  }
  throw new Error(
    `The console's browser tests need Chromium at ${CHROMIUM_PATH} and it is missing. Install Debian's package as root: ` +
      '`apt-get update && apt-get install -y chromium` (the CI script does this), or point SAGAFLOW_CHROMIUM at a Chromium or Chrome binary.',
  );
}
