/**
 * The console's HTTP routes (Hono): the pages, a JSON API over the store, server-sent events
 * for live updates, and the two operations that change something — resume and cancel — which
 * require the operator token as `Authorization: Bearer <token>`. Read-only routes need none.
 */
import { modelForState } from '../definition/childStep.js';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { streamSSE } from 'hono/streaming';
import { ErrorCode, isSagaError } from '../core/errors.js';
import { canContinue } from '../core/invariants.js';
import type { SagaModel } from '../core/sagaModel.js';
import type { Engine } from '../runtime/engine.js';
import type { EventStore } from '../stores/eventStore.js';
import { streamProblems } from '../cli/inspectCommands.js';
import { readAllSagaStreams, readSagaStream } from '../cli/sagaStreams.js';
import { formatTimeline } from '../cli/timeline.js';
import { eventRows } from './eventRows.js';
import { CONSOLE_CSS } from './page/consoleCss.js';
import { CONSOLE_HTML } from './page/consoleHtml.js';
import { CONSOLE_SCRIPT } from './page/consoleScript.js';
import type { SagaDirectory } from './sagaDirectory.js';

/** What the routes work on. */
export interface ConsoleAppOptions {
  /** The store the console shows. */
  store: EventStore;
  /** Appends resume and cancel (and runs resumed sagas when it has their definitions). */
  engine: Engine;
  /** The read model behind the list and the live updates. */
  directory: SagaDirectory;
  /** The operator token required by resume and cancel. */
  token: string;
  /** The store, as shown on the page (the URL without its password). */
  storeLabel: string;
  /** Definitions known to the console, to check attempts against policies and answer canContinue. */
  models: readonly SagaModel[];
  /** Accepted `Host` headers (DNS-rebinding guard); undefined accepts any. */
  allowedHosts?: ReadonlySet<string>;
  /** Time source for canContinue. @default Date.now */
  now?: () => number;
}

const SAGA_ID = /^[A-Za-z0-9_.:@-]{1,190}$/;

function problem(c: Context, status: 400 | 403 | 404 | 409 | 500, error: string, message: string): Response {
  return c.json({ error, message }, status);
}

function sagaIdParam(c: Context): string {
  const sagaId = c.req.param('id') ?? '';
  if (!SAGA_ID.test(sagaId)) throw new HTTPException(400, { res: c.json({ error: 'SAGA_ID_INVALID', message: `Not a saga id: ${sagaId}` }, 400) });
  return sagaId;
}

/** The console's Hono application. */
export function createConsoleApp(options: ConsoleAppOptions): Hono {
  const { store, engine, directory } = options;
  const now = options.now ?? Date.now;
  const byName = new Map(options.models.map((m) => [`${m.name}@${m.version}`, m]));
  const app = new Hono();

  app.use('*', async (c, next) => {
    const host = c.req.header('host') ?? '';
    if (options.allowedHosts && !options.allowedHosts.has(host.toLowerCase())) {
      return problem(c, 403, 'HOST_REFUSED', `This console answers to ${[...options.allowedHosts].join(', ')} only (got Host: ${host}).`);
    }
    await next();
  });
  app.use(
    '*',
    secureHeaders({
      // Plain HTTP on loopback: HSTS would only confuse the browser about other local ports.
      strictTransportSecurity: false,
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    }),
  );

  // c.json, not Response.json: the node server swaps the global Response, and the middleware checks instanceof.
  const refused = (status: 401 | 403, error: string, message: string) => (c: Context) => c.json({ error, message }, status);
  const requireToken = bearerAuth({
    token: options.token,
    noAuthenticationHeader: {
      message: refused(401, 'TOKEN_REQUIRED', 'This operation changes the saga: send the operator token as Authorization: Bearer <token>.'),
    },
    invalidAuthenticationHeader: { message: refused(401, 'TOKEN_REQUIRED', 'Send the operator token as Authorization: Bearer <token>.') },
    invalidToken: { message: refused(403, 'TOKEN_REFUSED', 'Wrong operator token: use the one the console printed when it started.') },
  });

  const page = (c: Context) => c.html(CONSOLE_HTML);
  app.get('/', page);
  app.get('/sagas/:id', page);
  app.get('/attention', page);
  app.get('/verify', page);
  app.get('/assets/console.js', (c) => c.body(CONSOLE_SCRIPT, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  app.get('/assets/console.css', (c) => c.body(CONSOLE_CSS, 200, { 'content-type': 'text/css; charset=utf-8' }));

  app.get('/api/info', (c) =>
    c.json({ store: options.storeLabel, sagaNames: directory.sagaNames(), runsResumedSagas: options.models.length > 0, definitions: [...byName.keys()] }),
  );

  app.get('/api/sagas', async (c) => {
    await directory.ready();
    const limit = c.req.query('limit');
    const parsedLimit = limit === undefined ? 100 : Number(limit);
    if (!Number.isInteger(parsedLimit) || parsedLimit < 1 || parsedLimit > 1_000)
      return problem(c, 400, 'LIMIT_INVALID', 'limit is an integer from 1 to 1000.');
    const cursor = c.req.query('cursor');
    if (cursor !== undefined && !/^\d+$/.test(cursor)) return problem(c, 400, 'CURSOR_INVALID', 'cursor is the `next` of the previous page.');
    const status = c.req.query('status') || undefined;
    const saga = c.req.query('saga') || undefined;
    return c.json(directory.list({ limit: parsedLimit, ...(cursor ? { cursor } : {}), ...(status ? { status } : {}), ...(saga ? { saga } : {}) }));
  });

  app.get('/api/sagas/:id', async (c) => {
    const sagaId = sagaIdParam(c);
    const stream = await readSagaStream(store, sagaId);
    if (!stream) return problem(c, 404, 'SAGA_NOT_FOUND', `No saga ${sagaId} in this store.`);
    const model = stream.state ? modelForState(byName.get(`${stream.state.saga}@${stream.state.version}`), stream.state) : undefined;
    return c.json({
      sagaId,
      state: stream.state ?? null,
      error: stream.error ?? null,
      events: eventRows(stream.recorded),
      problems: streamProblems(stream, model),
      timeline: formatTimeline(stream.recorded),
    });
  });

  app.get('/api/sagas/:id/replay', async (c) => {
    const sagaId = sagaIdParam(c);
    const to = c.req.query('to');
    const toRevision = to === undefined ? undefined : Number(to);
    if (toRevision !== undefined && (!Number.isInteger(toRevision) || toRevision < 0))
      return problem(c, 400, 'REVISION_INVALID', 'to is a revision: an integer from 0.');
    const replayed = await engine.replay(sagaId, toRevision === undefined ? {} : { toRevision });
    if (!replayed.state) return problem(c, 404, 'SAGA_NOT_FOUND', `No saga ${sagaId} in this store.`);
    const last = replayed.events.at(-1);
    return c.json({ revision: last?.revision ?? 0, event: last?.type ?? null, state: replayed.state, violations: replayed.violations });
  });

  app.get('/api/verify', async (c) => {
    const started = performance.now();
    const streams = await readAllSagaStreams(store);
    const results = streams.map((stream) => {
      const model = stream.state ? modelForState(byName.get(`${stream.state.saga}@${stream.state.version}`), stream.state) : undefined;
      const problems = streamProblems(stream, model);
      return {
        sagaId: stream.sagaId,
        saga: stream.state ? `${stream.state.saga}@${stream.state.version}` : '',
        status: stream.error ? 'unreadable' : (stream.state?.status ?? 'no SagaStarted'),
        events: stream.recorded.length,
        valid: problems.length === 0,
        // Without the definition, canContinue is known only where it does not need decide().
        canContinue: stream.state && model ? canContinue(model, stream.state, now()) : null,
        problems,
      };
    });
    const ms = performance.now() - started;
    const broken = results.filter((r) => !r.valid || r.canContinue === false).length;
    return c.json({
      streams: results,
      total: results.length,
      broken,
      ms: Math.round(ms),
      perSecond: ms > 0 ? Math.round((results.length / ms) * 1_000) : null,
    });
  });

  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      const queue: string[] = [];
      let wake: (() => void) | undefined;
      const stop = directory.onChange((summary, event) => {
        queue.push(JSON.stringify({ ...summary, lastEvent: event.type }));
        wake?.();
      });
      stream.onAbort(() => {
        stop();
        wake?.();
      });
      await stream.writeSSE({ event: 'ready', data: '{}' });
      while (!stream.aborted && !stream.closed) {
        const next = queue.shift();
        if (next !== undefined) {
          await stream.writeSSE({ event: 'saga', data: next });
          continue;
        }
        // A comment every 15 s keeps proxies from closing an idle stream and notices a gone client.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 15_000);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
        if (queue.length === 0 && !stream.aborted) await stream.write(': keep-alive\n\n');
      }
      stop();
    }),
  );

  app.post('/api/sagas/:id/resume', requireToken, async (c) => {
    const sagaId = sagaIdParam(c);
    const resumed = await engine.resume(sagaId, 'console');
    if (!resumed) return problem(c, 409, 'SAGA_NOT_PARKED', `Saga ${sagaId} is not parked: only a failed saga that needs attention can be resumed.`);
    return c.json({ sagaId, resumed: true, runsHere: options.models.length > 0 });
  });

  app.post('/api/sagas/:id/cancel', requireToken, async (c) => {
    const sagaId = sagaIdParam(c);
    const body = (await c.req.json().catch(() => ({}))) as { reason?: unknown };
    const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
    if (reason.length === 0 || reason.length > 500)
      return problem(c, 400, 'REASON_REQUIRED', 'Give the reason for the cancel (1 to 500 characters) as {"reason": "…"}.');
    const cancelled = await engine.cancel(sagaId, reason);
    if (!cancelled) return problem(c, 409, 'SAGA_NOT_RUNNING', `Saga ${sagaId} is not running (or a cancel was already requested): nothing to cancel.`);
    return c.json({ sagaId, cancelled: true });
  });

  app.notFound((c) => problem(c, 404, 'NOT_FOUND', `No such page or API: ${c.req.path}`));
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    if (isSagaError(error) && error.code === ErrorCode.SagaNotFound) return problem(c, 404, error.code, error.message);
    if (isSagaError(error)) return problem(c, 500, error.code, error.message);
    return problem(c, 500, 'ERROR', error instanceof Error ? error.message : String(error));
  });
  return app;
}
