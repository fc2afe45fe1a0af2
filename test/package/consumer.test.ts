/**
 * Issue 9: the package as a user gets it. Packs this repository (`prepack` builds dist/),
 * checks what the tarball ships, installs it into a fresh project in the temp dir — which
 * cannot see this repository's node_modules — with its own `npm install` of the tarball and of
 * what a user adds (typescript, @types/node, zod), type-checks the README's quick start with
 * `tsc --strict --module NodeNext`, runs it on a SQLite file, and checks that a consumer file
 * with a wrong input type fails to compile with the compiler's message. publint and
 * @arethetypeswrong/cli check the same tarball.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'sagaflow-consumer-'));
const consumer = join(work, 'consumer');
let tarball = '';
let files: string[] = [];

/** Runs a command; on failure the error carries its output, which vitest shows. */
async function sh(file: string, args: string[], cwd: string, timeoutMs = 300_000): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(file, args, {
      cwd,
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
    });
  } catch (error) {
    const e = error as { message: string; stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`, { cause: error });
  }
}

/** The README block after `<!-- consumer-test: NAME -->`: the code users copy is the code tested. */
function readmeBlock(name: string): string {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const marker = readme.indexOf(`<!-- consumer-test: ${name} -->`);
  if (marker < 0) throw new Error(`README.md has no block marked <!-- consumer-test: ${name} -->`);
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(marker));
  if (!match?.[1]) throw new Error(`README.md: no \`\`\`ts block after the ${name} marker`);
  return match[1];
}

beforeAll(async () => {
  const { stdout } = await sh('npm', ['pack', '--json', '--pack-destination', work], repo);
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[]; size: number; unpackedSize: number }[];
  if (!packed) throw new Error(`npm pack printed no package: ${stdout}`);
  tarball = join(work, packed.filename);
  files = packed.files.map((f) => f.path);
  console.log(
    `[consumer] ${packed.filename}: ${files.length} files, ${(packed.size / 1024).toFixed(1)} kB packed, ${(packed.unpackedSize / 1024).toFixed(1)} kB unpacked`,
  );

  mkdirSync(join(consumer, 'src'), { recursive: true });
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          strict: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          outDir: 'out',
          types: ['node'],
          skipLibCheck: false,
        },
        include: ['src/quickStart.ts'],
      },
      null,
      2,
    ),
  );
  writeFileSync(join(consumer, 'src', 'quickStart.ts'), readmeBlock('quick-start'));
  // The same saga, started with a number where the schema wants a string.
  writeFileSync(join(consumer, 'src', 'wrongInput.ts'), readmeBlock('quick-start').replace(`{ name: 'Ada' }`, `{ name: 42 }`));
  // What a user runs: the tarball, and what they add themselves. Cached packages are fine.
  await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, 'typescript@~5.9.3', '@types/node@^20', 'zod@^4'], consumer, 600_000);
}, 900_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the npm package, installed into a fresh project', () => {
  it('ships dist, README, LICENSE, CHANGELOG and package.json, and nothing else', () => {
    const outside = files.filter((f) => !f.startsWith('dist/') && !['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json'].includes(f));
    expect(outside).toEqual([]);
    for (const needed of [
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/stores/sqlite/index.js',
      'dist/src/observability/otel/index.js',
      'dist/src/cli/main.js',
      'LICENSE',
      'CHANGELOG.md',
    ])
      expect(files).toContain(needed);
    // The console's page, script and stylesheet are TS modules exporting strings: tsc puts them in dist/.
    for (const needed of [
      'dist/src/cli/uiCommand.js',
      'dist/src/console/consoleServer.js',
      'dist/src/console/page/consoleHtml.js',
      'dist/src/console/page/consoleScript.js',
      'dist/src/console/page/consoleCss.js',
    ])
      expect(files).toContain(needed);
    expect(files.filter((f) => /(^|\/)(test|bench)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
  });

  it("type-checks the README's quick start with tsc --strict --module NodeNext, and runs it on a SQLite file to completion", async () => {
    expect(existsSync(join(consumer, 'node_modules', 'sagaflow', 'dist', 'src', 'index.js'))).toBe(true);
    await sh(join(consumer, 'node_modules', '.bin', 'tsc'), ['-p', '.'], consumer);
    const { stdout } = await sh(process.execPath, ['out/quickStart.js'], consumer, 60_000);
    expect(stdout).toContain('completed');
    expect(existsSync(join(consumer, 'sagas.db'))).toBe(true);
    // Run again: the store file already has the first saga, the engine resumes nothing and completes a new one.
    expect((await sh(process.execPath, ['out/quickStart.js'], consumer, 60_000)).stdout).toContain('completed');
  });

  it("serves the console from the installed package: `sagaflow ui` on the quick start's file answers the page, its script and the API", async () => {
    const child = spawn(
      process.execPath,
      [join(consumer, 'node_modules', 'sagaflow', 'dist', 'src', 'cli', 'main.js'), 'ui', '--store', 'sqlite:sagas.db', '--port', '0'],
      {
        cwd: consumer,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    const exited = new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
    try {
      const url = await new Promise<string>((resolveUrl, reject) => {
        const timer = setTimeout(() => reject(new Error(`sagaflow ui printed no URL in 30 s: ${out}${err}`)), 30_000);
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          const match = /sagaflow console: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (match?.[1] && out.includes('Ctrl-C stops')) {
            clearTimeout(timer);
            resolveUrl(match[1]);
          }
        });
        child.once('exit', () => reject(new Error(`sagaflow ui exited: ${out}${err}`)));
      });
      expect(await (await fetch(url)).text()).toContain('<script type="module" src="/assets/console.js">');
      const script = await fetch(new URL('/assets/console.js', url));
      expect(script.headers.get('content-type')).toContain('text/javascript');
      expect(await script.text()).toContain("new EventSource('/api/events')");
      const list = (await (await fetch(new URL('/api/sagas', url))).json()) as { total: number };
      expect(list.total).toBeGreaterThan(0);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('loads the root without @opentelemetry/api (an optional peer npm does not install); only sagaflow/otel needs it, and says so', async () => {
    expect(existsSync(join(consumer, 'node_modules', '@opentelemetry', 'api'))).toBe(false);
    const probe = "import('sagaflow').then(() => import('sagaflow/otel')).then(() => console.log('otel loaded'), (e) => console.log(e.code, e.message))";
    const { stdout } = await sh(process.execPath, ['--input-type=module', '-e', probe], consumer, 60_000);
    expect(stdout).toContain('ERR_MODULE_NOT_FOUND');
    expect(stdout).toContain("'@opentelemetry/api'");
  });

  it('refuses to compile a start whose input does not match the saga, naming the field and the types', async () => {
    const failed = await sh(
      join(consumer, 'node_modules', '.bin', 'tsc'),
      ['--noEmit', '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--types', 'node', 'src/wrongInput.ts'],
      consumer,
    ).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(failed, 'tsc accepted a number where the schema wants a string').toBeDefined();
    expect(failed).toMatch(/src\/wrongInput\.ts\(\d+,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
  });

  it('passes publint --strict and @arethetypeswrong/cli (ESM-only profile)', async () => {
    await sh(join(repo, 'node_modules', '.bin', 'publint'), ['--strict'], repo);
    // attw exits non-zero on any problem its profile does not ignore (ESM-only: CJS resolutions are ignored).
    const { stdout } = await sh(join(repo, 'node_modules', '.bin', 'attw'), [tarball, '--profile', 'esm-only'], repo);
    expect(stdout).toContain('"sagaflow/sqlite"');
    expect(stdout).toContain('"sagaflow/otel"');
  });
});
