/**
 * `sagaflow show` follows the links of child sagas (issue 11 item 2): a parent's timeline names
 * the child its step starts and is followed by the child's timeline, indented; a child's header
 * names its parent; `--no-children` shows the parent alone; JSON carries both links.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShippedOrderSagas, SHIPMENT } from '../../../sagas/index.js';
import { showCommand } from '../../../src/cli/showCommand.js';
import { verifyStreams } from '../../../src/cli/verifyStreams.js';
import { childSagaId, createEngine } from '../../../src/index.js';
import type { EventStore } from '../../../src/index.js';
import { createSqliteEventStore } from '../../../src/stores/sqlite/index.js';
import { runCli } from '../../support/runCli.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-show-children-'));
let store: EventStore;
let parentId: string;
let childId: string;

beforeAll(async () => {
  store = createSqliteEventStore({ path: join(dir, 'children.db') });
  const sagas = createShippedOrderSagas();
  const engine = await createEngine({ store, sagas: [sagas.order, sagas.shipment] });
  parentId = (await engine.start(sagas.order, { orderId: 'o', sku: 's', quantity: 3, address: 'a' })).sagaId;
  await engine.result(parentId);
  childId = childSagaId(parentId, 'shipping', SHIPMENT);
  await engine.close();
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function show(sagaId: string, options: Parameters<typeof showCommand>[3] = {}): Promise<string[]> {
  const out: string[] = [];
  const code = await showCommand(store, sagaId, { out: (l) => out.push(l), err: (l) => out.push(`ERR ${l}`) }, options);
  expect(code).toBe(0);
  return out;
}

describe('sagaflow show with child sagas', () => {
  it("a parent's timeline names the child on its step's rows, then shows the child's timeline indented below", async () => {
    const lines = await show(parentId);
    expect(lines[0]).toMatch(new RegExp(`^saga ${parentId}  shipped-order@1  completed`));
    expect(lines.find((l) => /StepStarted\s+shipping/.test(l))).toContain(`child saga ${childId}`);
    expect(lines.find((l) => l.includes('SagaStarted'))).toContain(`step shipping starts child ${childId} (shipment)`);
    const childHeader = lines.findIndex((l) => l.startsWith(`    saga ${childId}  shipment@1  completed`));
    expect(childHeader).toBeGreaterThan(lines.findIndex((l) => /SagaCompleted/.test(l)));
    expect(lines[childHeader - 1]).toBe('    child of step shipping:');
    expect(lines[childHeader + 1]).toBe(`    child of saga ${parentId} (shipped-order), started by its step shipping`);
    const childRows = lines.slice(childHeader);
    expect(childRows.every((l) => l.startsWith('    '))).toBe(true);
    expect(childRows.some((l) => /SignalReceived\s+signal sagaflow\.parent-verdict/.test(l))).toBe(true);
    expect(childRows.some((l) => /SagaCompleted/.test(l))).toBe(true);
  });

  it("a child's header names its parent; --no-children shows the parent alone", async () => {
    const child = await show(childId);
    expect(child[1]).toBe(`child of saga ${parentId} (shipped-order), started by its step shipping`);
    expect(child.find((l) => l.includes('SagaStarted'))).toContain(`child of saga ${parentId} (shipped-order, step shipping)`);
    const alone = await show(parentId, { children: false });
    expect(alone.some((l) => l.startsWith(`    saga ${childId}`))).toBe(false);
  });

  it('JSON carries the parent and the children', async () => {
    const [json] = await show(parentId, { format: 'json' });
    expect(JSON.parse(json ?? '{}')).toMatchObject({ parent: null, children: [{ step: 'shipping', saga: SHIPMENT, sagaId: childId }] });
    const [childJson] = await show(childId, { format: 'json' });
    expect(JSON.parse(childJson ?? '{}')).toMatchObject({ parent: { sagaId: parentId, step: 'shipping' }, children: [] });
  });

  it('verify --sagas checks the child against its definition with the verdict steps: both sound', async () => {
    const { order, shipment } = createShippedOrderSagas();
    const verdicts = await verifyStreams(store, undefined, { models: [order, shipment] });
    expect(verdicts.map((v) => ({ saga: v.saga, valid: v.valid, canContinue: v.canContinue, withDefinition: v.withDefinition, problems: v.problems }))).toEqual(
      [
        { saga: 'shipped-order', valid: true, canContinue: true, withDefinition: true, problems: [] },
        { saga: 'shipment', valid: true, canContinue: true, withDefinition: true, problems: [] },
      ],
    );
  });

  it('the CLI: `sagaflow show` follows the child, `--no-children` does not', async () => {
    const url = `sqlite:${join(dir, 'children.db')}`;
    const [followed, alone] = await Promise.all([runCli(['show', parentId, '--store', url]), runCli(['show', parentId, '--store', url, '--no-children'])]);
    expect({ code: followed.code, stderr: followed.stderr }).toEqual({ code: 0, stderr: '' });
    expect(followed.stdout).toContain(`    saga ${childId}  shipment@1  completed`);
    expect(alone.code).toBe(0);
    expect(alone.stdout).not.toContain(`    saga ${childId}`);
    expect(alone.stdout).toContain(`child saga ${childId}`);
  });
});
