/**
 * The proof that the database drivers are optional peers: a child process in which `pg`,
 * `@eventstore/db-client`, `@kurrent/kurrentdb-client`, `@grpc/grpc-js` and `google-protobuf`
 * cannot be resolved (test/support/hidePackages.mjs) still loads `sagaflow` and
 * `sagaflow/testing` and runs a saga on SQLite, and the stores that need a missing package
 * say which one to install (DriverNotInstalledError).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DriverNotInstalledError } from '../../../src/core/errors.js';
import { isMissingPackage, loadOptionalDriver } from '../../../src/stores/optionalDriver.js';

const OPTIONAL_PEERS = ['pg', '@eventstore/db-client', '@kurrent/kurrentdb-client', '@grpc/grpc-js', 'google-protobuf', '@opentelemetry/api'];
const child = resolve(import.meta.dirname, '../../support/optionalDriversChild.ts');
const hideHook = resolve(import.meta.dirname, '../../support/hidePackages.mjs');
const dir = mkdtempSync(join(tmpdir(), 'sagaflow-optional-drivers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Attempt {
  ok: boolean;
  error?: { name: string; code: unknown; package: unknown; message: string };
}
interface Report {
  testKitExports: string[];
  sqliteSaga: string;
  postgres: Attempt;
  esdb: Attempt;
  kurrentdb: Attempt;
  testingEsdb: Attempt;
  otel: Attempt;
}

/** Runs the child with `hidden` unresolvable; it must exit 0 (an unhandled rejection would not). */
function runWithout(hidden: readonly string[], db: string): Promise<Report> {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', '--import', hideHook, child, join(dir, db)], {
      env: { ...process.env, SAGAFLOW_HIDE_PACKAGES: hidden.join(',') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`the child did not exit within 60 s; stderr: ${err}`));
    }, 60_000);
    proc.on('error', reject);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`the child exited with ${code}: ${err}`));
      resolvePromise(JSON.parse(out) as Report);
    });
  });
}

const driverMissing = (packageName: string) => ({
  ok: false,
  error: expect.objectContaining({
    name: 'DriverNotInstalledError',
    code: 'DRIVER_NOT_INSTALLED',
    package: packageName,
    message: expect.stringContaining(`npm install ${packageName}`),
  }),
});

describe('optional drivers', () => {
  it('without any optional peer: sagaflow and sagaflow/testing load, a saga runs on sqlite:, and postgres/esdb stores name the package to install', async () => {
    const report = await runWithout(OPTIONAL_PEERS, 'none.db');
    expect(report.testKitExports).toEqual(['createVirtualClock', 'scenarioArb', 'runScenario']);
    expect(report.sqliteSaga).toBe('completed');
    expect(report.postgres).toEqual(driverMissing('pg'));
    expect(report.postgres.error?.message).not.toContain('secret');
    expect(report.esdb).toEqual(driverMissing('@eventstore/db-client'));
    expect(report.kurrentdb).toEqual(driverMissing('@kurrent/kurrentdb-client'));
    // The EventStoreDB protocol server is a subpath of its own precisely because it needs gRPC.
    expect(report.testingEsdb).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'ERR_MODULE_NOT_FOUND', message: expect.stringContaining("'@grpc/grpc-js'") }),
    });
  });

  it('without @opentelemetry/api: the root export runs a saga, and only the opt-in sagaflow/otel subpath fails, naming the package', async () => {
    const report = await runWithout(['@opentelemetry/api'], 'otel.db');
    expect(report.sqliteSaga).toBe('completed');
    expect(report.otel).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'ERR_MODULE_NOT_FOUND', message: expect.stringContaining("'@opentelemetry/api'") }),
    });
  });

  it('with a client but without @grpc/grpc-js under it: the EventStoreDB store names @grpc/grpc-js, and the process survives', async () => {
    const report = await runWithout(['@grpc/grpc-js'], 'grpc.db');
    expect(report.sqliteSaga).toBe('completed');
    expect(report.esdb).toEqual(driverMissing('@grpc/grpc-js'));
    expect(report.kurrentdb).toEqual(driverMissing('@grpc/grpc-js'));
  });
});

describe('isMissingPackage / loadOptionalDriver', () => {
  const esm = (missing: string, importer: string) =>
    Object.assign(new Error(`Cannot find package '${missing}' imported from ${importer}`), { code: 'ERR_MODULE_NOT_FOUND' });
  const cjs = (missing: string, importer: string) =>
    Object.assign(new Error(`Cannot find module '${missing}'\nRequire stack:\n- ${importer}`), { code: 'MODULE_NOT_FOUND' });

  it('matches the missing package, not the package that imports it', () => {
    const grpcUnderClient = cjs('@grpc/grpc-js', '/app/node_modules/@eventstore/db-client/generated/streams_grpc_pb.js');
    expect(isMissingPackage(grpcUnderClient, '@grpc/grpc-js')).toBe(true);
    expect(isMissingPackage(grpcUnderClient, '@eventstore/db-client')).toBe(false);
    const esmUnderClient = esm('google-protobuf', '/app/node_modules/@eventstore/db-client/dist/index.js');
    expect(isMissingPackage(esmUnderClient, 'google-protobuf')).toBe(true);
    expect(isMissingPackage(esmUnderClient, '@eventstore/db-client')).toBe(false);
    expect(isMissingPackage(esm('pg', '/app/dist/src/stores/postgres/schema.js'), 'pg')).toBe(true);
    expect(isMissingPackage(esm('pg-protocol', '/app/node_modules/pg/lib/client.js'), 'pg')).toBe(false);
    expect(isMissingPackage(new Error("Cannot find package 'pg'"), 'pg')).toBe(false);
  });

  it('turns a missing package into DriverNotInstalledError and keeps any other load error', async () => {
    const missing = await loadOptionalDriver('pg', 'PostgreSQL', () => Promise.reject(esm('pg', '/app/x.js'))).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(DriverNotInstalledError);
    expect(missing).toMatchObject({ packageName: 'pg', details: { package: 'pg', store: 'PostgreSQL' } });
    const broken = new SyntaxError('Unexpected token');
    expect(await loadOptionalDriver('pg', 'PostgreSQL', () => Promise.reject(broken)).catch((e: unknown) => e)).toBe(broken);
  });
});
