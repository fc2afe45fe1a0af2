/**
 * `npm start`: runs four order-fulfilment sagas on a SQLite file and prints each one's
 * timeline. The file `./.sagaflow/demo.db` is deleted and recreated on every run, so each run
 * starts fresh, and it is left behind afterwards for the CLI (`npx tsx src/cli/main.ts list ...`).
 *
 * Engine logs go to stderr at level 'error' (override with SAGAFLOW_LOG_LEVEL=warn): the
 * timelines, read back from the store, are the output.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { createOrderFulfilmentParticipants, createOrderFulfilmentSaga } from '../../sagas/index.js';
import type { Journal } from '../../sagas/index.js';
import { createPinoLogger } from '../observability/pinoLogger.js';
import { createEngine } from '../runtime/engine.js';
import type { SagaResult } from '../runtime/sagaResult.js';
import { sagaStreamId } from '../runtime/sagaStream.js';
import { createStore, redactUrl } from '../stores/createStore.js';
import type { RecordedEvent } from '../stores/eventStore.js';
import { DEMO_POLICIES, DEMO_SCENARIOS } from './demoScenarios.js';
import { formatDuration, formatTimeline } from './timeline.js';

const DB_PATH = './.sagaflow/demo.db';
// SAGAFLOW_STORE runs the demo on another store (postgres://…, esdb://…). Such a store is not
// recreated, so the idempotency keys get a per-run suffix there.
const STORE_URL = process.env['SAGAFLOW_STORE'] ?? `sqlite:${DB_PATH}`;
const ON_DEFAULT_STORE = process.env['SAGAFLOW_STORE'] === undefined;
const RUN = ON_DEFAULT_STORE ? '' : `-${Date.now().toString(36)}`;
const INDENT = '    ';

function freshDatabase(): void {
  mkdirSync(dirname(DB_PATH), { recursive: true });
  // WAL mode keeps two side files; a stale one would resurrect the previous run's events.
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${DB_PATH}${suffix}`, { force: true });
}

function outcome(result: SagaResult, events: RecordedEvent[]): string {
  const ats = events.map((e) => (e.data as { at?: number }).at ?? 0);
  const took = formatDuration(Math.max(...ats) - Math.min(...ats));
  switch (result.status) {
    case 'completed':
      return `result: completed in ${took}`;
    case 'compensated':
      return `result: compensated in ${took} (${result.failure?.step} failed: ${result.failure?.code}); undone in order: ${result.compensated.join(' → ')}`;
    case 'failed':
      return `result: FAILED (parked) after ${took}, needsAttention=${String(result.needsAttention)}: ${result.failure?.message}`;
  }
}

/** What the participants did for this saga, from their shared journal, in order. */
function effects(journal: Journal, sagaId: string): string {
  const mine = journal.entries.filter((e) => e.key.startsWith(`${sagaId}/`));
  if (mine.length === 0) return 'participant effects: none';
  return `participant effects: ${mine.map((e) => `${e.participant}.${e.operation}${e.effect === 'applied' ? '' : ` (${e.effect})`}${e.detail ? ` ${e.detail}` : ''}`).join(' → ')}`;
}

async function main(): Promise<void> {
  if (ON_DEFAULT_STORE) freshDatabase();
  const store = await createStore(STORE_URL);
  // A little latency makes attempt durations visible in the timelines.
  const participants = createOrderFulfilmentParticipants({ stock: { widget: 10, gadget: 5 }, latencyMs: 5 });
  const saga = createOrderFulfilmentSaga(participants, DEMO_POLICIES);
  const logger = createPinoLogger({ level: process.env['SAGAFLOW_LOG_LEVEL'] ?? 'error' }, process.stderr);
  const engine = await createEngine({ store, sagas: [saga], logger });
  const out = (line = ''): void => void process.stdout.write(`${line}\n`);
  out(
    `sagaflow demo: ${saga.name} (${saga.steps.map((s) => s.name).join(' → ')}) on ${redactUrl(STORE_URL)}${ON_DEFAULT_STORE ? ' (recreated on every run)' : ''}`,
  );
  let parked: string | undefined;
  let compensated: string | undefined;
  try {
    for (const scenario of DEMO_SCENARIOS) {
      scenario.arrange(participants);
      const { sagaId } = await engine.start(saga.name, scenario.input, { idempotencyKey: `${scenario.input.orderId}${RUN}` });
      const result = await engine.result(sagaId);
      participants.inventory.faults.clear();
      participants.payments.faults.clear();
      participants.shipping.faults.clear();
      const events = await store.readStream(sagaStreamId(sagaId));
      out();
      out(`(${scenario.label}) ${scenario.title}`);
      out(`${INDENT}saga ${sagaId}, idempotency key ${scenario.input.orderId}${RUN}`);
      for (const line of formatTimeline(events, { indent: INDENT })) out(line);
      out(`${INDENT}${outcome(result, events)}`);
      out(`${INDENT}${effects(participants.journal, sagaId)}`);
      if (result.status === 'failed') parked = sagaId;
      if (result.status === 'compensated') compensated = sagaId;
    }
    const again = await engine.start(saga.name, DEMO_SCENARIOS[0]?.input, { idempotencyKey: `${DEMO_SCENARIOS[0]?.input.orderId}${RUN}` });
    out();
    out(`Starting (a) again with the same idempotency key returns saga ${again.sagaId} (created: ${String(again.created)}); nothing runs twice.`);
    const { inventory, payments, shipping } = participants;
    out(
      `Participants now: stock widget ${inventory.available('widget')}/10, gadget ${inventory.available('gadget')}/5 (order-1004's stays reserved until it is resumed); payments net ${payments.netCents()} cents; shipments ${shipping.shipments.map((s) => `${s.shipmentId}:${s.status}`).join(', ')}`,
    );
  } finally {
    await engine.close();
    await store.close();
  }
  out();
  out('Audit the stored streams (docs/audit.md):');
  out(`  npx tsx src/cli/main.ts list --store ${redactUrl(STORE_URL)}`);
  out(`  npx tsx src/cli/main.ts verify --store ${redactUrl(STORE_URL)}`);
  if (compensated) {
    out(`  npx tsx src/cli/main.ts show ${compensated} --store ${redactUrl(STORE_URL)}`);
    out(`  npx tsx src/cli/main.ts replay ${compensated} --to 6 --store ${redactUrl(STORE_URL)}`);
  }
  if (parked) {
    out(`  npx tsx src/cli/main.ts show ${parked} --store ${redactUrl(STORE_URL)}`);
    out(`  npx tsx src/cli/main.ts resume ${parked} --store ${redactUrl(STORE_URL)} --sagas ./sagas/index.ts`);
    out('    (the CLI brings fresh in-process participants: they find nothing to undo, and the saga ends compensated)');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
