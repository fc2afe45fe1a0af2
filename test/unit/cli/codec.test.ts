/**
 * Item 5 of issue 12, the CLI: with `SAGAFLOW_CODEC=<module>` the commands read a store written
 * with the codec (here `timeline`, as a real child process); without it the payloads stay
 * encoded, and with other keys the command fails with the codec's typed error (exit 2).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAesGcmCodec, createEngine } from '../../../src/index.js';
import { loadCodec } from '../../../src/cli/codecOption.js';
import { createSqliteEventStore } from '../../../src/stores/sqlite/index.js';
import { CARD, newKey, paymentSaga } from '../../support/codecSaga.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-cli-codec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = newKey();
const codecModule = join(dir, 'codec.ts');
let sagaId = '';

function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('npx', ['tsx', 'src/cli/main.ts', ...args], { cwd: process.cwd(), timeout: 60_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  writeFileSync(
    codecModule,
    `import { createAesGcmCodec } from ${JSON.stringify(resolve('src/index.ts'))};\nexport const codec = createAesGcmCodec({ keys: { k1: process.env.TEST_CODEC_KEY ?? '' }, currentKeyId: 'k1' });\n`,
  );
  const store = createSqliteEventStore({ path: join(dir, 'enc.db') });
  const engine = await createEngine({ store, sagas: [paymentSaga], codec: createAesGcmCodec({ keys: { k1: key }, currentKeyId: 'k1' }) });
  sagaId = (await engine.start(paymentSaga, { card: CARD, amount: 5 })).sagaId;
  await engine.result(sagaId);
  await engine.close();
  await store.close();
});

describe('the CLI with SAGAFLOW_CODEC', () => {
  it('loadCodec finds the module’s codec, and none without a specifier', async () => {
    process.env['TEST_CODEC_KEY'] = key;
    try {
      expect(await loadCodec(codecModule)).toMatchObject({ encode: expect.any(Function), decode: expect.any(Function) });
    } finally {
      delete process.env['TEST_CODEC_KEY'];
    }
    expect(await loadCodec('')).toBeUndefined();
  });

  it('timeline decodes with the codec, shows ciphertext without it, and fails with PAYLOAD_TAMPERED under another key', async () => {
    const store = `sqlite:${join(dir, 'enc.db')}`;
    const decoded = await cli({ SAGAFLOW_CODEC: codecModule, TEST_CODEC_KEY: key }, 'timeline', sagaId, '--store', store);
    expect(decoded.code, decoded.stderr).toBe(0);
    expect(decoded.stdout).toContain(`card ${CARD} declined`);
    const plain = await cli({}, 'timeline', sagaId, '--store', store);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain('StepFailed');
    expect(plain.stdout).not.toContain(CARD);
    const wrong = await cli({ SAGAFLOW_CODEC: codecModule, TEST_CODEC_KEY: newKey() }, 'timeline', sagaId, '--store', store);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('PAYLOAD_TAMPERED');
    expect(wrong.stderr).not.toContain(CARD);
  });
});
