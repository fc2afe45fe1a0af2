/**
 * `sagaflow diagram <saga> --sagas <module>`: a saga definition as a Mermaid flowchart. The
 * steps run left to right to `completed`; a failure compensates the steps before it in reverse
 * order, drawn as dashed back-edges through each compensation to `compensated`. Optional steps
 * are skipped instead (forward recovery); a step without a compensation is passed by.
 */
import type { SagaModel } from '../core/sagaModel.js';

function label(text: string): string {
  return `"${text.replace(/"/g, '#quot;')}"`;
}

/** The Mermaid flowchart of a definition (`flowchart LR`). Pure. */
export function sagaDiagram(model: SagaModel): string {
  const steps = model.steps;
  const lines = ['flowchart LR', `  start([${label(`start ${model.name} v${model.version}`)}])`];
  for (const [i, s] of steps.entries()) {
    const marks = [s.optional ? 'optional' : '', s.checkpoint ? 'checkpoint' : '', s.retry.maxAttempts > 1 ? `retries up to ${s.retry.maxAttempts}×` : '']
      .filter(Boolean)
      .join(', ');
    lines.push(`  s${i}[${label(marks ? `${s.name}<br/><small>${marks}</small>` : s.name)}]`);
    if (s.compensable) lines.push(`  c${i}[${label(`undo ${s.name}`)}]`);
  }
  lines.push(`  completed([${label('completed')}])`, `  compensated([${label('compensated')}])`);
  // Forward: each step to the next.
  const chain = ['start', ...steps.map((_, i) => `s${i}`), 'completed'];
  for (let i = 0; i + 1 < chain.length; i++) lines.push(`  ${chain[i]} --> ${chain[i + 1]}`);
  // Back: a failure of step i undoes the compensable steps before it, newest first.
  const undoBefore = (i: number): string => {
    for (let j = i - 1; j >= 0; j--) if (steps[j]?.compensable) return `c${j}`;
    return 'compensated';
  };
  for (const [i, s] of steps.entries()) {
    if (s.optional) lines.push(`  s${i} -. ${label('fails: skipped')} .-> ${i + 1 < steps.length ? `s${i + 1}` : 'completed'}`);
    else lines.push(`  s${i} -. ${label('fails')} .-> ${undoBefore(i)}`);
    if (s.compensable) lines.push(`  s${i} -. ${label('partial failure')} .-> c${i}`, `  c${i} -.-> ${undoBefore(i)}`);
  }
  lines.push('  classDef undo stroke-dasharray: 4 3');
  const undo = steps.flatMap((s, i) => (s.compensable ? [`c${i}`] : []));
  if (undo.length > 0) lines.push(`  class ${undo.join(',')} undo`);
  return lines.join('\n');
}
