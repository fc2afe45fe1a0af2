/**
 * Restate (server 1.7.12, TypeScript SDK 1.17.2) as a contender: the same two sagas as
 * handlers of one service, one `ctx.run` per step; the compensating one catches the
 * TerminalError of its third step and runs `ctx.run` compensations in reverse (Restate's saga
 * pattern). The service endpoint is the SDK's HTTP/2 handler in this process (as sagaflow and
 * DBOS run embedded here too); the server is a child process (bench/peers/restateServer.ts);
 * sagas are invoked through ingress with the SDK's clients package and awaited.
 *
 * Restate keeps its journal in its own store, which cannot be swapped per run as a schema can:
 * one server serves every run, and prepare/finish do nothing.
 */
import { createServer, type Http2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Contender } from '../contender.js';
import { checkCompensations } from '../benchSagas.js';
import { sleep } from '../support.js';
import { polyfillPromiseWithResolvers } from './promiseWithResolvers.js';
import { startRestateServer } from './restateServer.js';
import { peerVersion } from './installPeers.js';
import { loadPeerModule, type RestateClients, type RestateContext, type RestateSdk } from './sdkShapes.js';

type Outcome = { status: 'completed' } | { status: 'compensated'; compensated: string[] };

function defineService(sdk: RestateSdk): { name: string } {
  const threeSteps = async (ctx: RestateContext, { i }: { i: number }): Promise<Outcome> => {
    await ctx.run('reserve', () => ({ id: i }));
    await ctx.run('charge', () => ({ paid: true }));
    await ctx.run('ship', () => 'shipped');
    return { status: 'completed' };
  };
  const compensating = async (ctx: RestateContext, { i }: { i: number }): Promise<Outcome> => {
    const compensations: { step: string; run: () => Promise<unknown> }[] = [];
    try {
      await ctx.run('reserve', () => ({ id: i }));
      compensations.push({ step: 'reserve', run: () => ctx.run('releaseReservation', () => 'released') });
      await ctx.run('charge', () => ({ paid: true }));
      compensations.push({ step: 'charge', run: () => ctx.run('refund', () => 'refunded') });
      await ctx.run('ship', (): string => {
        throw new sdk.TerminalError('carrier refused the parcel');
      });
      return { status: 'completed' };
    } catch (error) {
      if (!(error instanceof sdk.TerminalError)) throw error; // anything else: let Restate retry
      const compensated: string[] = [];
      for (const c of compensations.reverse()) {
        await c.run();
        compensated.push(c.step);
      }
      return { status: 'compensated', compensated };
    }
  };
  return sdk.service({
    name: 'sagaBench',
    handlers: { threeSteps, compensating } as Record<string, (ctx: RestateContext, input: { i: number }) => Promise<unknown>>,
  });
}

export async function createRestateContender(): Promise<Contender & { version: string }> {
  polyfillPromiseWithResolvers();
  // The SDK logs every invocation at INFO to the console (read once, when it loads): that would
  // flood the report and bill console I/O to Restate.
  process.env['RESTATE_LOGGING'] ??= 'WARN';
  const sdk = await loadPeerModule<RestateSdk>('@restatedev/restate-sdk');
  const clients = await loadPeerModule<RestateClients>('@restatedev/restate-sdk-clients');
  const service = defineService(sdk);
  const sdkVersion = peerVersion('@restatedev/restate-sdk');

  const sessions = new Set<Http2Session>();
  const endpoint = createServer(sdk.createEndpointHandler({ services: [service] }));
  endpoint.on('session', (s) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  await new Promise<void>((resolve, reject) => endpoint.once('error', reject).listen(0, '127.0.0.1', resolve));
  const closeEndpoint = async (): Promise<void> => {
    for (const s of sessions) s.destroy();
    await new Promise<void>((resolve) => endpoint.close(() => resolve()));
  };

  let server: Awaited<ReturnType<typeof startRestateServer>> | undefined;
  try {
    server = await startRestateServer();
    await server.registerDeployment(`http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`);
  } catch (error) {
    await server?.stop();
    await closeEndpoint();
    throw error;
  }
  const client = clients.connect({ url: server.ingressUrl }).serviceClient(service);
  const invoke = async (handler: string, i: number): Promise<Outcome> => {
    const fn = client[handler];
    if (!fn) throw new Error(`Restate client has no handler ${handler}`);
    return (await fn({ i })) as Outcome;
  };
  // Ingress learns of the new deployment asynchronously: wait until a call goes through.
  for (let attempt = 0; ; attempt++) {
    try {
      await invoke('threeSteps', -1);
      break;
    } catch (error) {
      if (attempt >= 100) {
        await server.stop();
        await closeEndpoint();
        throw error;
      }
      await sleep(100);
    }
  }
  const running = server;
  return {
    name: 'Restate',
    version: `${running.version}, @restatedev/restate-sdk ${sdkVersion}`,
    async prepare() {},
    async runOne(kind, i) {
      const outcome = await invoke(kind, i);
      return outcome.status === 'compensated' ? checkCompensations(outcome.compensated) : outcome.status;
    },
    async finish() {},
    async close() {
      await running.stop();
      await closeEndpoint();
    },
  };
}
