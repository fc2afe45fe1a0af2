/**
 * The slice of each peer SDK the bench uses, declared here instead of imported.
 *
 * Why: the peers are installed on first use into bench/peers/node_modules, never as
 * dependencies of the library, while the root tsconfig.json type-checks all of bench/ (as
 * `npm test` does, on a clean clone too). A static `import ... from '@dbos-inc/dbos-sdk'`
 * would fail that check wherever the peers are not installed, so the SDKs are loaded with
 * `loadPeerModule()` (a dynamic import) and typed by these interfaces. They follow the
 * published typings of the pinned versions (bench/peers/package.json): DBOS 5.3.0's
 * dist/src/dbos.d.ts and Restate SDK 1.17.2's dist/node.d.ts and clients' dist/api.d.ts.
 */
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

export interface DbosWorkflowHandle<R> {
  getResult(): Promise<R>;
  readonly workflowID: string;
}

/** `@dbos-inc/dbos-sdk`: `DBOS` static API (v5). */
export interface DbosSdk {
  DBOS: {
    setConfig(config: { name: string; systemDatabaseUrl: string; systemDatabaseSchemaName?: string; logLevel?: string; systemDatabasePoolSize?: number }): void;
    launch(): Promise<void>;
    shutdown(options?: { deregister?: boolean }): Promise<void>;
    registerWorkflow<A extends unknown[], R>(fn: (...args: A) => Promise<R>, config?: { name?: string }): (...args: A) => Promise<R>;
    registerStep<A extends unknown[], R>(fn: (...args: A) => Promise<R>, config?: { name?: string; retriesAllowed?: boolean }): (...args: A) => Promise<R>;
    startWorkflow<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<DbosWorkflowHandle<R>>;
  };
}

/** `ctx` of a Restate service handler (only `run`). */
export interface RestateContext {
  run<T>(name: string, action: () => T | Promise<T>): Promise<T>;
}

export type RestateHandler = (ctx: RestateContext, input: { i: number }) => Promise<unknown>;

/** `@restatedev/restate-sdk`: service definition, terminal errors and the Node endpoint handler. */
export interface RestateSdk {
  service(definition: { name: string; handlers: Record<string, RestateHandler> }): { name: string };
  TerminalError: new (message: string) => Error;
  createEndpointHandler(options: { services: { name: string }[] }): (request: Http2ServerRequest, response: Http2ServerResponse) => void;
}

/** `@restatedev/restate-sdk-clients`: the ingress client. */
export interface RestateClients {
  connect(options: { url: string }): {
    serviceClient(definition: { name: string }): Record<string, (input: { i: number }) => Promise<unknown>>;
  };
}

/**
 * Imports a peer package from bench/peers/node_modules. The specifier is a parameter, so the
 * root type-check never resolves it; Node resolves it from this file's folder at run time.
 */
export async function loadPeerModule<T>(specifier: string): Promise<T> {
  const module = (await import(specifier)) as T & { default?: T };
  // CommonJS packages (DBOS) may expose their exports only on `default` when imported from ESM.
  return (module.default && typeof module.default === 'object' ? { ...module.default, ...module } : module) as T;
}
