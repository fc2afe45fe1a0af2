/**
 * A private Restate server (1.7) for the comparison: the binary from the npm platform package,
 * a TOML config that binds ingress, admin and the node's own listener to free 127.0.0.1 ports,
 * keeps its data in a temp dir and turns telemetry off; stopped (and its dir removed) by
 * `stop()`. Durability is Restate's default (its log and partition stores fsync their WAL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support/postgresServer.js';
import { sleep } from '../support.js';

export interface RestateServer {
  ingressUrl: string;
  adminUrl: string;
  version: string;
  /** Registers a service endpoint (`POST /deployments`), so ingress can route to its services. */
  registerDeployment(endpointUrl: string): Promise<void>;
  stop(): Promise<void>;
}

function binaryPath(): string {
  // Resolved from bench/peers, where the platform package is installed.
  return createRequire(import.meta.url).resolve(`@restatedev/restate-server-${platform()}-${arch()}/bin/restate-server`);
}

async function waitHealthy(url: string, child: ChildProcess, log: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`restate-server exited (${child.exitCode}) before it was healthy:\n${tail(log)}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`restate-server not healthy at ${url} after ${timeoutMs} ms:\n${tail(log)}`);
    await sleep(100);
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function startRestateServer(): Promise<RestateServer> {
  const baseDir = mkdtempSync(join(tmpdir(), 'sagaflow-restate-'));
  const [ingress, admin, node] = [await freePort(), await freePort(), await freePort()];
  const config = [
    'node-name = "bench"',
    `base-dir = "${join(baseDir, 'data')}"`,
    'disable-telemetry = true',
    'listen-mode = "tcp"',
    `bind-address = "127.0.0.1:${node}"`,
    `advertised-address = "http://127.0.0.1:${node}/"`,
    'log-filter = "warn"',
    '[admin]',
    `bind-address = "127.0.0.1:${admin}"`,
    'disable-web-ui = true',
    '[ingress]',
    `bind-address = "127.0.0.1:${ingress}"`,
  ].join('\n');
  const configFile = join(baseDir, 'restate.toml');
  writeFileSync(configFile, `${config}\n`);
  const binary = binaryPath();
  const log = join(baseDir, 'server.log');
  const logStream = createWriteStream(log);
  const child = spawn(binary, ['--config-file', configFile, '--no-logo'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DO_NOT_TRACK: '1' } });
  child.stdout?.pipe(logStream);
  child.stderr?.pipe(logStream);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    logStream.end();
    rmSync(baseDir, { recursive: true, force: true });
  };
  // A crash of the bench must not leave the server running.
  process.once('exit', () => child.kill('SIGKILL'));
  try {
    const adminUrl = `http://127.0.0.1:${admin}`;
    const ingressUrl = `http://127.0.0.1:${ingress}`;
    await waitHealthy(`${adminUrl}/health`, child, log);
    await waitHealthy(`${ingressUrl}/restate/health`, child, log);
    const version = await new Promise<string>((resolve) => {
      const v = spawn(binary, ['--version']);
      let out = '';
      v.stdout.on('data', (c: Buffer) => (out += String(c)));
      v.once('exit', () => resolve(out.trim()));
      v.once('error', () => resolve('restate-server (version unknown)'));
    });
    return {
      ingressUrl,
      adminUrl,
      version,
      async registerDeployment(endpointUrl) {
        const response = await fetch(`${adminUrl}/deployments`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ uri: endpointUrl, force: true }),
        });
        if (!response.ok) throw new Error(`POST ${adminUrl}/deployments ${endpointUrl}: ${response.status} ${await response.text()}`);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
