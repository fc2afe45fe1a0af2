/**
 * One saga's timeline in the other formats of `show`: JSON (every event with its times,
 * worker, step and attempt), a Mermaid sequence diagram, and a self-contained HTML page.
 * Pure: everything comes from the stream.
 */
import type { SagaEvent } from '../core/events.js';
import type { SagaState } from '../core/sagaState.js';
import type { SagaStream } from './sagaStreams.js';
import { formatDuration, timelineRows } from './timeline.js';

function atOf(data: unknown): number | undefined {
  const at = (data as { at?: unknown } | null)?.at;
  return typeof at === 'number' ? at : undefined;
}

function workerOf(metadata: unknown): string | null {
  const worker = (metadata as { worker?: unknown } | null)?.worker;
  return typeof worker === 'string' && worker !== '' ? worker : null;
}

/** The outcome of a saga in one line, or undefined while it runs. Pure. */
export function outcomeOf(state: SagaState | undefined, stream: SagaStream): string | undefined {
  if (!state) return undefined;
  const ats = stream.recorded.map((e) => atOf(e.data)).filter((at): at is number => at !== undefined);
  const took = ats.length > 0 ? formatDuration(Math.max(...ats) - Math.min(...ats)) : '?';
  const failure = state.failure ? `${state.failure.step ?? 'the saga'} failed (${state.failure.kind}): ${state.failure.code}: ${state.failure.message}` : '';
  const undone = state.compensation ? `undone in order: ${state.compensation.done.join(' → ') || 'nothing'}` : '';
  switch (state.status) {
    case 'completed':
      return `result: completed in ${took}`;
    case 'compensated':
      return `result: compensated in ${took} (${failure || 'cancelled'}); ${undone}`;
    case 'failed':
      return `result: PARKED after ${took}, needs attention (${failure}); ${undone}; resume it with: sagaflow resume ${state.sagaId} --store <url> --sagas <module>`;
    default:
      return undefined;
  }
}

/** `show --json`: the saga, its state, and every event with its derived columns. Pure. */
export function timelineJson(stream: SagaStream): unknown {
  const rows = timelineRows(stream.recorded);
  const origin = stream.recorded.map((e) => atOf(e.data)).find((at) => at !== undefined);
  let previous: number | undefined;
  const events = stream.recorded.map((e, i) => {
    const at = atOf(e.data);
    const row = rows[i];
    const entry = {
      revision: e.revision,
      type: e.type,
      at: at === undefined ? null : new Date(at).toISOString(),
      sinceStartMs: at === undefined || origin === undefined ? null : at - origin,
      sincePreviousMs: at === undefined || previous === undefined ? null : at - previous,
      step: row?.step || null,
      attempt: row?.attempt ? Number(row.attempt) : null,
      worker: workerOf(e.metadata),
      details: row?.details ?? '',
      data: e.data,
      metadata: e.metadata,
      recordedAt: e.recordedAt,
    };
    if (at !== undefined) previous = at;
    return entry;
  });
  const state = stream.state;
  return {
    sagaId: stream.sagaId,
    streamId: stream.streamId,
    saga: state?.saga ?? null,
    version: state?.version ?? null,
    status: stream.error || !state ? 'unreadable' : state.status,
    needsAttention: state?.needsAttention ?? false,
    // The links to other sagas (docs/children.md): the parent of a child saga, the children of a parent.
    parent: state?.parent ?? null,
    children: state?.children ?? [],
    result: outcomeOf(state, stream) ?? null,
    problem: stream.error ?? null,
    events,
    state: state ?? null,
  };
}

/** Text that Mermaid reads literally in a message or note: no `;`, `#`, `:` or line breaks. */
function mermaidText(text: string): string {
  return text
    .replace(/[;#\r\n]+/g, ' ')
    .replace(/:/g, ' -')
    .slice(0, 160);
}

/**
 * `show --format mermaid`: a sequence diagram, the saga on the left and one participant per
 * step; each attempt an arrow, each outcome an answer (a cross for a failure), retries and the
 * compensation plan as notes. Pure.
 */
export function timelineMermaid(stream: SagaStream): string {
  const state = stream.state;
  const steps = state?.steps.map((s) => s.name) ?? [];
  const id = (step: string): string => `s${Math.max(0, steps.indexOf(step))}`;
  const lines = ['sequenceDiagram', `  title saga ${stream.sagaId} ${state ? `${state.saga}@${state.version} ${state.status}` : 'unreadable'}`];
  lines.push(`  participant saga as ${mermaidText(state?.saga ?? 'saga')}`);
  for (const [i, step] of steps.entries()) lines.push(`  participant s${i} as ${mermaidText(step)}`);
  for (const e of stream.events as SagaEvent[]) {
    switch (e.type) {
      case 'StepStarted':
        lines.push(`  saga->>${id(e.data.step)}: attempt ${e.data.attempt}`);
        break;
      case 'StepSucceeded':
        lines.push(`  ${id(e.data.step)}-->>saga: succeeded${e.data.durationMs === undefined ? '' : ` in ${formatDuration(e.data.durationMs)}`}`);
        break;
      case 'StepFailed':
        lines.push(`  ${id(e.data.step)}--xsaga: ${mermaidText(`${e.data.kind}${e.data.exhausted ? ' (retries exhausted)' : ''} ${e.data.error.code}`)}`);
        break;
      case 'RetryScheduled':
        lines.push(
          `  Note over saga,${id(e.data.step)}: ${e.data.phase === 'compensation' ? 'compensation ' : ''}attempt ${e.data.attempt} ${e.data.dueAt <= e.data.at ? 'immediately' : `in ${formatDuration(e.data.dueAt - e.data.at)}`}`,
        );
        break;
      case 'StepSkipped':
        lines.push(`  Note over ${id(e.data.step)}: skipped (optional)`);
        break;
      case 'RolledBack':
        lines.push(`  Note over ${id(e.data.step)}: rolled back`);
        break;
      case 'CompensationPlanned':
        lines.push(`  Note over saga: ${mermaidText(`compensate (${e.data.cause}) ${e.data.plan.join(' then ') || 'nothing'}`)}`);
        break;
      case 'CompensationStarted':
        lines.push(`  saga-)${id(e.data.step)}: compensate, attempt ${e.data.attempt}`);
        break;
      case 'CompensationSucceeded':
        lines.push(`  ${id(e.data.step)}-->>saga: compensated`);
        break;
      case 'CompensationFailed':
        lines.push(`  ${id(e.data.step)}--xsaga: ${mermaidText(`compensation ${e.data.kind} ${e.data.error.code}`)}`);
        break;
      case 'SagaCancelRequested':
        lines.push(`  Note over saga: ${mermaidText(`cancel requested - ${e.data.reason}`)}`);
        break;
      case 'SagaResumed':
        lines.push(`  Note over saga: ${mermaidText(`resumed by ${e.data.by}`)}`);
        break;
      case 'SagaCompleted':
      case 'SagaCompensated':
        lines.push(`  Note over saga: ${e.type === 'SagaCompleted' ? 'completed' : 'compensated'}`);
        break;
      case 'SagaFailed':
        lines.push(`  Note over saga: ${mermaidText(`PARKED, needs attention - ${e.data.reason}`)}`);
        break;
      default:
        break;
    }
  }
  if (stream.error) lines.push(`  Note over saga: ${mermaidText(`unreadable - ${stream.error}`)}`);
  return lines.join('\n');
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and attribute values. Pure. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** `show --format html`: a self-contained page (no script, no external resource) with the timeline table. Pure. */
export function timelineHtml(stream: SagaStream): string {
  const state = stream.state;
  const title = `saga ${stream.sagaId}${state ? ` · ${state.saga}@${state.version} · ${state.status}` : ''}`;
  const head = ['rev', 'at (UTC)', 'time', 'Δ prev', 'event', 'step', 'attempt', 'worker', 'details'];
  const body = timelineRows(stream.recorded)
    .map(
      (r) =>
        `<tr class="${r.tone}">${[r.revision, r.clock, r.time, r.delta, r.type, r.step, r.attempt, r.worker, r.details].map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const outcome = outcomeOf(state, stream);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: 2px 10px; border-bottom: 1px solid #eee; font-family: ui-monospace, monospace; white-space: nowrap; }
tr.ok td:nth-child(5) { color: #1a7f37; }
tr.failure td { color: #cf222e; }
tr.parked td { color: #fff; background: #cf222e; }
tr.retry td:nth-child(5) { color: #9a6700; }
tr.compensation td:nth-child(5) { color: #8250df; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${state ? `<p>started ${escapeHtml(new Date(state.startedAt).toISOString())}${state.idempotencyKey === null ? '' : `, idempotency key ${escapeHtml(state.idempotencyKey)}`}</p>` : ''}
<table>
<thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>
<tbody>
${body}
</tbody>
</table>
${outcome ? `<p>${escapeHtml(outcome)}</p>` : ''}
${stream.error ? `<p class="failure">${escapeHtml(stream.error)}</p>` : ''}
</body>
</html>`;
}
