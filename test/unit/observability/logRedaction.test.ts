/**
 * Item 5 of issue 12, logs: at every level sagaflow logs neither a saga's input nor a step's
 * output nor an error's details; a step's own `ctx.log` of its input is censored by default;
 * configured `redact` paths (here `err.message`) censor what remains.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEngine, createPinoLogger, defineSaga, type Engine, PermanentError, TransientError } from '../../../src/index.js';
import { createInMemoryEventStore } from '../../../src/stores/inMemory/index.js';

const CARD = '4111111111111111';
let engine: Engine | undefined;
afterEach(async () => engine?.close({ graceMs: 100 }));

function sink(): { text: () => string; stream: Writable } {
  let text = '';
  return {
    text: () => text,
    stream: new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        text += chunk.toString();
        done();
      },
    }),
  };
}

function saga(messageWithCard: boolean) {
  return defineSaga({ name: 'pay', input: z.object({ card: z.string() }) })
    .step('authorize', {
      retry: { initialDelayMs: 1, maxDelayMs: 1 },
      run: ({ input, attempt, log }) => {
        log.info({ input, card: 'kept' }, 'authorizing');
        if (attempt === 1) throw new TransientError('gateway busy', { details: { card: input.card } });
        return { token: `tok-${input.card}` };
      },
      compensate: () => {},
    })
    .step('capture', {
      run: ({ input }) => {
        throw new PermanentError(messageWithCard ? `card ${input.card} declined` : 'declined', { details: { code: 'DECLINED', card: input.card } });
      },
    });
}

async function runLogged(options: Parameters<typeof createPinoLogger>[0], messageWithCard: boolean): Promise<string> {
  const out = sink();
  const definition = saga(messageWithCard);
  engine = await createEngine({ store: createInMemoryEventStore(), sagas: [definition], logger: createPinoLogger({ level: 'debug', ...options }, out.stream) });
  const { sagaId } = await engine.start(definition, { card: CARD });
  expect((await engine.result(sagaId)).status).toBe('compensated');
  await engine.close();
  return out.text();
}

describe('log privacy', () => {
  it('by default, a card number in the input, an output and an error’s details reaches no log line, even at debug', async () => {
    const text = await runLogged({}, false);
    expect(text).toContain('authorizing');
    expect(text).toContain('"card":"kept"');
    expect(text).toContain('"input":"[Redacted]"');
    expect(text).toContain('step failed (permanent); RolledBack');
    expect(text).not.toContain(CARD);
  });

  it('with redact: ["err.message"], a card number in an error message is censored too', async () => {
    expect(await runLogged({}, true)).toContain(CARD);
    const text = await runLogged({ redact: ['err.message'] }, true);
    expect(text).toContain('step failed (permanent); RolledBack');
    expect(text).toContain('"message":"[Redacted]"');
    expect(text).toContain('"code":"DECLINED"');
    expect(text).not.toContain(CARD);
  });

  it('reads redact paths from SAGAFLOW_LOG_REDACT when none are given', () => {
    const out = sink();
    process.env['SAGAFLOW_LOG_REDACT'] = 'err.message, user.email';
    try {
      createPinoLogger({}, out.stream).info({ err: { message: CARD }, user: { email: 'a@b.c' }, output: 1 }, 'x');
    } finally {
      delete process.env['SAGAFLOW_LOG_REDACT'];
    }
    expect(JSON.parse(out.text())).toMatchObject({ err: { message: '[Redacted]' }, user: { email: '[Redacted]' }, output: '[Redacted]' });
  });
});
