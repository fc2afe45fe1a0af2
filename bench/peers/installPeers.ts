/**
 * Installs the peers (bench/peers/package.json) into bench/peers/node_modules when they are
 * missing, so `npm run bench` works on a clean clone. They are never dependencies of the
 * library. Install scripts are skipped: none is needed (the Restate server binary ships in a
 * platform package), and the one present is a usage-analytics ping.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PEERS_DIR = fileURLToPath(new URL('.', import.meta.url));

const REQUIRED = ['@dbos-inc/dbos-sdk', '@restatedev/restate-sdk', '@restatedev/restate-sdk-clients', '@restatedev/restate-server'];

export function peersInstalled(): boolean {
  return REQUIRED.every((name) => existsSync(join(PEERS_DIR, 'node_modules', name, 'package.json')));
}

export async function ensurePeersInstalled(): Promise<void> {
  if (peersInstalled()) return;
  console.log('installing the peers into bench/peers/node_modules (npm install --prefix bench/peers) ...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(npm, ['install', '--prefix', PEERS_DIR, '--no-audit', '--no-fund', '--ignore-scripts'], { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0 || !peersInstalled()) throw new Error(`npm install --prefix ${PEERS_DIR} failed (exit ${code}); run it by hand to see why`);
}

/** The installed version of a peer package (its package.json is not in its `exports`, so read the file). */
export function peerVersion(name: string): string {
  return (JSON.parse(readFileSync(join(PEERS_DIR, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}
