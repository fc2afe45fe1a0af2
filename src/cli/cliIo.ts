/** Where CLI commands write, so that tests can capture it. */
export interface CliIo {
  /** Writes one line of output (stdout). */
  out(line: string): void;
  /** Writes one line of diagnostics (stderr). */
  err(line: string): void;
}

/** stdout and stderr of this process. */
export const processIo: CliIo = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

/** Exit codes of every command. */
export const ExitCode = {
  /** Success. */
  Ok: 0,
  /** verify found a broken invariant; resume left the saga parked again. */
  Broken: 1,
  /** Bad usage, unknown saga, unreachable store. */
  Error: 2,
  /** The worker stopped because the store stayed unavailable: restart it (a supervisor does). */
  Unhealthy: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(rows: readonly string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
