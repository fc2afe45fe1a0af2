/**
 * A fleet of real `sagaflow worker` processes for the fault tests, and the chaos monkey that
 * SIGKILLs one of them every so often and starts a new one in its place. Each worker's stderr
 * (pino logs) goes to its own file under `logDir`, for the reader of a failed run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FleetOptions {
  storeUrl: string;
  /** Extra environment of every worker (CHAOS_PARTICIPANTS). */
  env: Record<string, string>;
  count: number;
  logDir: string;
  leaseMs?: number;
  concurrency?: number;
  /** pino level of the workers' logs. @default CHAOS_LOG_LEVEL, else 'warn' */
  logLevel?: string;
}

interface Slot {
  index: number;
  generation: number;
  child: ChildProcess;
  spawnedAt: number;
  ready: boolean;
  readyAt?: number;
  killedByUs: boolean;
  /** SIGSTOPped by the monkey until a SIGCONT. */
  frozen: boolean;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export class WorkerFleet {
  kills = 0;
  freezes = 0;
  restarts = 0;
  /** Milliseconds from spawn to "worker ready", for every worker that got there. */
  readonly startupMs: number[] = [];
  /** Workers that exited although no one killed or stopped them: each one a bug. */
  readonly unexpectedExits: string[] = [];
  private readonly slots: Slot[] = [];
  private stopping = false;
  private monkey: NodeJS.Timeout | undefined;
  private readonly thaws = new Set<NodeJS.Timeout>();

  constructor(private readonly options: FleetOptions) {}

  /** Where the workers' logs go. */
  get logDir(): string {
    return this.options.logDir;
  }

  logFile(index: number, generation: number): string {
    return join(this.options.logDir, `worker-${index}.${generation}.log`);
  }

  /** Spawns the workers; resolves when every one of them said it is ready. */
  async start(timeoutMs = 60_000): Promise<void> {
    for (let i = 0; i < this.options.count; i++) this.slots.push(this.spawn(i, 0));
    const deadline = Date.now() + timeoutMs;
    while (!this.slots.every((s) => s.ready)) {
      if (this.unexpectedExits.length > 0) throw new Error(`a worker died while starting: ${this.unexpectedExits[0]}`);
      if (Date.now() > deadline)
        throw new Error(
          `workers not ready after ${timeoutMs} ms (${this.slots.filter((s) => s.ready).length}/${this.slots.length}); logs in ${this.options.logDir}`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private spawn(index: number, generation: number): Slot {
    const o = this.options;
    const log = openSync(this.logFile(index, generation), 'a');
    const args = [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'worker',
      '--store',
      o.storeUrl,
      '--sagas',
      './test/support/chaosSagas.ts',
      '--worker-id',
      `w${index}.${generation}`,
    ];
    if (o.leaseMs !== undefined) args.push('--lease-ms', String(o.leaseMs));
    if (o.concurrency !== undefined) args.push('--concurrency', String(o.concurrency));
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...o.env, SAGAFLOW_LOG_LEVEL: o.logLevel ?? process.env['CHAOS_LOG_LEVEL'] ?? 'warn' },
      stdio: ['ignore', 'pipe', log],
    });
    closeSync(log);
    const slot: Slot = {
      index,
      generation,
      child,
      spawnedAt: Date.now(),
      ready: false,
      killedByUs: false,
      frozen: false,
      exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    };
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!slot.ready && /worker ready: resumed \d+ unfinished saga\(s\)/.test(out)) {
        slot.ready = true;
        slot.readyAt = Date.now();
        this.startupMs.push(slot.readyAt - slot.spawnedAt);
      }
    });
    void slot.exited.then(({ code, signal }) => {
      if (this.stopping) return;
      if (!slot.killedByUs) {
        this.unexpectedExits.push(
          `worker w${index}.${generation} exited on its own (code ${code}, signal ${signal}); last log lines:\n${this.tail(index, generation)}`,
        );
      }
      // The dead worker's place is taken at once by a new process.
      this.restarts++;
      this.slots[index] = this.spawn(index, generation + 1);
    });
    return slot;
  }

  /** The last lines of a worker's log. */
  tail(index: number, generation: number, lines = 15): string {
    const file = this.logFile(index, generation);
    return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
  }

  /** Every log line of every worker so far. */
  allLogLines(): string[] {
    const lines: string[] = [];
    for (const slot of this.slots) {
      for (let g = 0; g <= slot.generation; g++) {
        const file = this.logFile(slot.index, g);
        if (existsSync(file)) lines.push(...readFileSync(file, 'utf8').split('\n').filter(Boolean));
      }
    }
    return lines;
  }

  /**
   * Strikes a random ready worker, as long as `keepUp` other ready workers remain: a worker
   * still starting has nothing to lose yet, and someone must make progress. (A restart costs
   * about a CPU-second: tsx, the modules, the scan of unfinished sagas; killing faster than
   * workers come back would leave a 2-core machine doing nothing but restarts.) The strike is
   * a SIGKILL, or with `freeze.rate` a SIGSTOP for `freeze.ms` (longer than the lease): the
   * frozen worker's attempts are taken over while it still lives, and when it wakes up its
   * appends must be fenced off.
   */
  strike(random: () => number, freeze = { rate: 0, ms: 0 }, keepUp = 1): boolean {
    const ready = this.slots.filter((s) => s.ready && !s.killedByUs && !s.frozen);
    if (ready.length <= keepUp) return false;
    const victim = ready[Math.floor(random() * ready.length)];
    if (!victim) return false;
    if (random() < freeze.rate) {
      victim.frozen = true;
      victim.child.kill('SIGSTOP');
      this.freezes++;
      const thaw = setTimeout(() => {
        this.thaws.delete(thaw);
        victim.frozen = false;
        victim.child.kill('SIGCONT');
      }, freeze.ms);
      this.thaws.add(thaw);
      return true;
    }
    victim.killedByUs = true;
    victim.child.kill('SIGKILL');
    this.kills++;
    return true;
  }

  /** Strikes (see strike) about every `everyMs` (± 1/3, seeded), until `stop()`. */
  startKilling(everyMs: number, random: () => number, freeze = { rate: 0, ms: 0 }, keepUp = 1): void {
    const tick = (): void => {
      if (this.stopping) return;
      this.strike(random, freeze, keepUp);
      this.monkey = setTimeout(tick, everyMs * (2 / 3 + (2 / 3) * random()));
    };
    this.monkey = setTimeout(tick, everyMs);
  }

  stopKilling(): void {
    clearTimeout(this.monkey);
    this.monkey = undefined;
    // A stopped process would not even see SIGTERM: wake every frozen worker now.
    for (const thaw of this.thaws) clearTimeout(thaw);
    this.thaws.clear();
    for (const slot of this.slots.filter((s) => s.frozen)) {
      slot.frozen = false;
      slot.child.kill('SIGCONT');
    }
  }

  /**
   * Stops every worker with SIGTERM (graceful) and waits for them. Returns one line per worker
   * that did not exit with code 0 within `graceMs`.
   */
  async stop(graceMs = 20_000): Promise<string[]> {
    this.stopKilling();
    this.stopping = true;
    const problems: string[] = [];
    await Promise.all(
      this.slots.map(async (slot) => {
        // `sagaflow worker` installs its SIGTERM handler only after it printed "worker ready", so
        // a worker still starting (or one signalled in that very instant) would just die of it.
        const readyBy = Date.now() + graceMs;
        while (!slot.killedByUs && (slot.readyAt === undefined || Date.now() - slot.readyAt < 250) && slot.child.exitCode === null && Date.now() < readyBy) {
          await new Promise((r) => setTimeout(r, 20));
        }
        if (!slot.killedByUs) slot.child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), graceMs)));
        const result = await Promise.race([slot.exited, timeout]);
        clearTimeout(timer);
        const name = `worker w${slot.index}.${slot.generation}`;
        if (result === 'timeout') {
          slot.child.kill('SIGKILL');
          await slot.exited;
          problems.push(`${name} did not stop within ${graceMs} ms of SIGTERM; last log lines:\n${this.tail(slot.index, slot.generation)}`);
        } else if (!slot.killedByUs && result.code !== 0) {
          problems.push(
            `${name} exited with code ${result.code} (signal ${result.signal}) on SIGTERM; last log lines:\n${this.tail(slot.index, slot.generation)}`,
          );
        }
      }),
    );
    return problems;
  }
}
