/** Small helpers for benchmarks: timing, percentiles, and a printed table. */

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export function printTable(title: string, rows: Record<string, string | number>[]): void {
  console.log(`\n## ${title}\n`);
  if (rows.length === 0) return;
  const headers = Object.keys(rows[0] as object);
  const cell = (v: string | number | undefined) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : (v ?? ''));
  console.log(`| ${headers.join(' | ')} |`);
  console.log(`|${headers.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${headers.map((h) => cell(row[h])).join(' | ')} |`);
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `cleanup` if the bench is interrupted (SIGINT/SIGTERM), then exits; the bench's own
 * `finally` covers normal ends and failures. Returns the function that removes the handlers.
 */
export function cleanupOnSignal(cleanup: () => Promise<void>): () => void {
  const handler = (signal: NodeJS.Signals): void => {
    console.error(`\n${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** Polls `check` every `everyMs` until it is true; throws `message` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, message: string, everyMs = 10): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${message}`);
    await sleep(everyMs);
  }
}

/** p50/p99/max (and mean) of a list of numbers, rounded to whole ms. */
export function summary(values: number[]): { p50: number; p99: number; max: number; mean: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
  return { p50: Math.round(percentile(sorted, 50)), p99: Math.round(percentile(sorted, 99)), max: Math.round(sorted.at(-1) ?? NaN), mean: Math.round(mean) };
}

/** `promise`, or a rejection with `message` after `ms`; the timer never outlives the race. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${message}`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts a CPU profile of this process when `SAGAFLOW_BENCH_PROFILE` names a directory; the
 * returned function stops it and writes `<label>.cpuprofile` there (open it in Chrome DevTools
 * or speedscope). A profile of just the measured phase, without the seeding and the start-up
 * that `node --cpu-prof` would mix in. Without the variable: does nothing.
 */
export async function profilePhase(label: string): Promise<() => Promise<void>> {
  const dir = process.env['SAGAFLOW_BENCH_PROFILE'];
  if (!dir) return async () => {};
  const { Session } = await import('node:inspector/promises');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    const file = `${dir}/${label.replace(/[^A-Za-z0-9_.-]+/g, '-')}.cpuprofile`;
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    console.log(`cpu profile: ${file}`);
  };
}

/**
 * CPU time (user + system, ms) used so far by a PostgreSQL cluster's processes: its postmaster
 * (from `<dataDir>/postmaster.pid`) and every child (backends, WAL writer, checkpointer…), read
 * from /proc. Take the difference over a phase to say how much of it the server was busy;
 * backends that exit during the phase take their share with them (the store's pool keeps its
 * connections, so for a bench that is a small part). Linux only; 0 elsewhere.
 */
export async function postgresCpuMs(dataDir: string): Promise<number> {
  const { readFileSync, readdirSync } = await import('node:fs');
  let postmaster: number;
  try {
    postmaster = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  } catch {
    return 0;
  }
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command (which may hold spaces), from field 3: state ppid … utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pid = Number(entry);
    if (pid !== postmaster && Number(fields[1]) !== postmaster) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * 10; // USER_HZ is 100 on Linux: a tick is 10 ms
}
