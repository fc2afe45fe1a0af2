/** One line that says where the figures come from: the machine, its load, the runtimes. */
import { cpus, loadavg, totalmem } from 'node:os';

export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

export function describeMachine(postgres: string): string {
  const cpu = cpus();
  return [
    `cpu: ${cpu[0]?.model.trim() ?? 'unknown'} × ${cpu.length} cores`,
    `memory: ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    `load average (1/5/15 min): ${loadAverage()}`,
    `node ${process.version} (${process.platform} ${process.arch})`,
    postgres,
  ].join('\n');
}
