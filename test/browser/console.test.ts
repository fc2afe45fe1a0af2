/**
 * The console as an operator uses it: `sagaflow ui` runs as a real child process on a SQLite
 * file seeded with the demo's four sagas (completed, retried, compensated, parked), and
 * Debian's Chromium, driven by playwright-core, opens its pages. Every browser console error
 * and page error is collected and must be none, except the two refusals this suite provokes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type ConsoleMessage, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrderFulfilmentParticipants, createOrderFulfilmentSaga } from '../../sagas/index.js';
import { DEMO_POLICIES, DEMO_SCENARIOS } from '../../src/cli/demoScenarios.js';
import { fold } from '../../src/core/evolve.js';
import { parseRecorded, sagaStreamId } from '../../src/runtime/sagaStream.js';
import { createEngine, type Engine } from '../../src/runtime/engine.js';
import type { EventStore } from '../../src/stores/eventStore.js';
import { createSqliteEventStore } from '../../src/stores/sqlite/index.js';
import { CHROMIUM_PATH } from '../support/chromiumGlobalSetup.js';

const repo = resolve(import.meta.dirname, '../..');
const artifacts = join(repo, 'test-artifacts');
const dir = mkdtempSync(join(tmpdir(), 'sagaflow-console-'));
const dbPath = join(dir, 'console.db');
/** Saga ids by demo label: a completes, b retries, c compensates, d parks. */
const ids: Record<string, string> = {};
let store: EventStore;
let engine: Engine;
let consoleProcess: ChildProcess;
let stdout = '';
let url = '';
let token = '';
let browser: Browser;
let page: Page;
/** Browser console errors and page errors, with where they came from. */
const problems: { text: string; url: string }[] = [];

function waitForOutput(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`the console printed no ${pattern} in ${timeoutMs} ms; it printed:\n${stdout}`)), timeoutMs);
    const check = (): void => {
      const match = pattern.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      consoleProcess.stdout?.off('data', check);
      resolvePromise(match);
    };
    consoleProcess.stdout?.on('data', check);
    check();
  });
}

async function events(sagaId: string) {
  return store.readStream(sagaStreamId(sagaId));
}

async function open(path: string): Promise<void> {
  await page.goto(new URL(path, url).href);
  await page.waitForSelector('body[data-ready="true"]');
}

beforeAll(async () => {
  // The demo's sagas, as `npm start` runs them, into a file of our own.
  store = createSqliteEventStore({ path: dbPath });
  const participants = createOrderFulfilmentParticipants({ stock: { widget: 10, gadget: 5 } });
  engine = await createEngine({ store, sagas: [createOrderFulfilmentSaga(participants, DEMO_POLICIES)] });
  for (const scenario of DEMO_SCENARIOS) {
    scenario.arrange(participants);
    const { sagaId } = await engine.start('order-fulfilment', scenario.input, { idempotencyKey: scenario.input.orderId });
    await engine.result(sagaId);
    participants.inventory.faults.clear();
    participants.payments.faults.clear();
    participants.shipping.faults.clear();
    ids[scenario.label] = sagaId;
  }
  expect((await engine.state(ids['c'] ?? '')).status).toBe('compensated');
  expect((await engine.state(ids['d'] ?? '')).status).toBe('failed');

  // The console as a user starts it; with the example definitions a resumed saga runs in it.
  consoleProcess = spawn(
    join(repo, 'node_modules', '.bin', 'tsx'),
    ['src/cli/main.ts', 'ui', '--store', `sqlite:${dbPath}`, '--port', '0', '--sagas', './sagas/index.ts'],
    {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  consoleProcess.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  consoleProcess.stderr?.setEncoding('utf8').on('data', (chunk: string) => process.stderr.write(`[console] ${chunk}`));
  const printed = await waitForOutput(/sagaflow console: (http:\/\/127\.0\.0\.1:\d+\/)[\s\S]*operator token for resume and cancel: (\S+)\n[\s\S]*Ctrl-C stops/);
  url = printed[1] ?? '';
  token = printed[2] ?? '';

  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') problems.push({ text: message.text(), url: message.location().url });
  });
  page.on('pageerror', (error) => problems.push({ text: `page error: ${error.message}`, url: '' }));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (consoleProcess && consoleProcess.exitCode === null) consoleProcess.kill('SIGKILL');
  await engine?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sagaflow ui in Chromium', () => {
  it('binds 127.0.0.1 on a free port and prints the URL and the operator token once', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(stdout.split(token).length - 1).toBe(1);
  });

  it("lists the demo's four sagas with their statuses", async () => {
    await open('/');
    const rows = page.locator('#saga-rows tr');
    await expect.poll(() => rows.count()).toBe(4);
    const byId = async (label: string) => page.locator(`#saga-rows tr[data-saga-id="${ids[label]}"]`).getAttribute('data-status');
    expect(await byId('a')).toBe('completed');
    expect(await byId('b')).toBe('completed');
    expect(await byId('c')).toBe('compensated');
    expect(await byId('d')).toBe('failed');
    await expect.poll(() => page.locator('#saga-count').textContent()).toContain('4 saga(s)');
  });

  it('filters the list by status through the form', async () => {
    await open('/');
    await page.selectOption('#filter-status', 'compensated');
    await Promise.all([page.waitForURL(/status=compensated/), page.click('form[role="search"] button')]);
    await page.waitForSelector('body[data-ready="true"]');
    const shown = await page.locator('#saga-rows tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-saga-id')));
    expect(shown).toEqual([ids['c']]);
  });

  it("renders every event of the compensated saga's timeline, in order, and keeps a screenshot", async () => {
    const stored = await events(ids['c'] ?? '');
    await open(`/sagas/${ids['c']}`);
    const types = await page.locator('#events tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-type')));
    expect(types).toEqual(stored.map((e) => e.type));
    expect(types).toContain('CompensationPlanned');
    expect(types.at(-1)).toBe('SagaCompensated');
    expect(await page.locator('#saga-status').textContent()).toBe('compensated');
    expect(await page.locator('#problems').textContent()).toContain('Valid');
    // The slider starts at the last revision: the state panel shows the final fold.
    expect(await page.locator('#revision-label').textContent()).toBe(`revision ${stored.length - 1} of ${stored.length - 1}: SagaCompensated`);
    expect(await page.locator('#state-status').textContent()).toBe('compensated');
    mkdirSync(artifacts, { recursive: true });
    const path = join(artifacts, 'console-compensated.png');
    await page.screenshot({ path, fullPage: true });
    console.log(`[browser] screenshot of the compensated saga's page: ${path}`);
  });

  it('shows the state at a revision when the slider moves there (the fold of the events up to it)', async () => {
    const stored = await events(ids['c'] ?? '');
    const planned = stored.find((e) => e.type === 'CompensationPlanned');
    if (!planned) throw new Error('the compensated saga has no CompensationPlanned');
    // The revision just before the plan: the saga still looks running, with its failure recorded.
    for (const revision of [planned.revision - 1, planned.revision, 2]) {
      const expected = fold(stored.slice(0, revision + 1).map(parseRecorded));
      await page.locator('#revision').fill(String(revision));
      await expect.poll(() => page.locator('#revision-label').textContent()).toBe(`revision ${revision} of ${stored.length - 1}: ${stored[revision]?.type}`);
      expect(await page.locator('#state-status').textContent()).toBe(expected?.status);
      const steps = await page.locator('#state-steps tbody tr').evaluateAll((trs) => trs.map((tr) => tr.children[1]?.textContent));
      expect(steps).toEqual(expected?.steps.map((s) => s.status));
      expect(await page.locator('tr.selected').getAttribute('id')).toBe(`event-${revision}`);
    }
  });

  it('lists the parked saga under Needs attention', async () => {
    await open('/attention');
    const shown = await page.locator('#attention-rows tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-saga-id')));
    expect(shown).toEqual([ids['d']]);
    expect(await page.locator('#attention-rows').textContent()).toContain('BANK_OFFLINE');
  });

  it('verifies every stream and reports them ok', async () => {
    await open('/verify');
    await expect.poll(() => page.locator('#verify-summary').textContent()).toMatch(/^Verified 4 saga\(s\) in \d+ ms.*: 4 ok, 0 broken$/);
    expect(await page.locator('#verify-rows tr[data-ok="true"]').count()).toBe(4);
  });

  it('refuses to resume the parked saga without the token (401) and with a wrong one (403), and appends nothing', async () => {
    const before = (await events(ids['d'] ?? '')).length;
    await open(`/sagas/${ids['d']}`);
    await page.click('#resume');
    await expect.poll(() => page.locator('#action-result').textContent()).toContain('Not resumed: This operation changes the saga: send the operator token');
    const wrong = await page.evaluate(
      async (id) => (await fetch(`/api/sagas/${id}/resume`, { method: 'POST', headers: { authorization: 'Bearer not-the-token-at-all' } })).status,
      ids['d'],
    );
    expect(wrong).toBe(403);
    expect((await events(ids['d'] ?? '')).length).toBe(before);
    // Chromium logs each refused request as a failed resource load: those two, and nothing else.
    const refusals = problems.splice(0).filter((p) => !(p.url.endsWith(`/api/sagas/${ids['d']}/resume`) && /status of 40[13]/.test(p.text)));
    expect(refusals).toEqual([]);
  });

  it('resumes the parked saga with the token: the console runs it to compensated, and the page follows live', async () => {
    await page.fill('#token', token);
    await page.click('#token-form button');
    await expect.poll(() => page.locator('#token-state').textContent()).toBe('token set for this tab');
    await page.click('#resume');
    await expect.poll(() => page.locator('#action-result').textContent()).toBe('Resumed: the console runs the saga now.');
    await expect.poll(() => page.locator('#saga-status').textContent(), { timeout: 30_000 }).toBe('compensated');
    const stored = await events(ids['d'] ?? '');
    const resumed = stored.find((e) => e.type === 'SagaResumed');
    expect(resumed?.data).toMatchObject({ by: 'console' });
    expect(stored.at(-1)?.type).toBe('SagaCompensated');
  });

  it('shows a saga started while the list is open, live', async () => {
    await open('/');
    await page.waitForSelector('body[data-live="on"]');
    const { sagaId } = await engine.start('order-fulfilment', { ...DEMO_SCENARIOS[0]?.input, orderId: 'order-2001' } as never);
    await page.waitForSelector(`#saga-rows tr.fresh[data-saga-id="${sagaId}"]`, { timeout: 15_000 });
    await engine.result(sagaId);
    await expect.poll(() => page.locator(`#saga-rows tr[data-saga-id="${sagaId}"]`).getAttribute('data-status'), { timeout: 15_000 }).toBe('completed');
    expect(await page.locator('#saga-rows tr').first().getAttribute('data-saga-id')).toBe(sagaId);
    await expect.poll(() => page.locator('#announce').textContent()).toContain(`New saga ${sagaId}`);
    const path = join(artifacts, 'console-list.png');
    await page.screenshot({ path, fullPage: true });
    console.log(`[browser] screenshot of the list with the live saga: ${path}`);
  });

  it('logged no console error and no page error', () => {
    expect(problems).toEqual([]);
  });

  it('stops cleanly on SIGTERM', async () => {
    await page.close();
    const exited = new Promise<number | null>((resolveExit) => consoleProcess.once('exit', (code) => resolveExit(code)));
    consoleProcess.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('console stopped');
  });
});
