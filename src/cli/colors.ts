/**
 * Colour for terminals only: on when the output is a TTY, off when piped, off whenever
 * `NO_COLOR` is set to anything non-empty (https://no-color.org), on when `FORCE_COLOR` is set
 * (other than `0`) even when piped.
 */
import type { TimelineTone } from './timeline.js';

/** Whether to colour output written to a stream with this `isTTY`, given the environment. */
export function colorEnabled(isTTY: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env['NO_COLOR'] ?? '') !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '' && force !== '0') return true;
  return isTTY === true;
}

const CODES: Record<TimelineTone, [number, number] | undefined> = {
  header: [1, 22],
  dim: [2, 22],
  ok: [32, 39],
  failure: [31, 39],
  retry: [33, 39],
  compensation: [35, 39],
  parked: [91, 39],
  plain: undefined,
};

/** A styler for {@link formatTimeline}: ANSI colours when `enabled`, the text unchanged otherwise. */
export function ansiStyler(enabled: boolean): (tone: TimelineTone, text: string) => string {
  if (!enabled) return (_tone, text) => text;
  return (tone, text) => {
    const code = CODES[tone];
    return code && text.trim() !== '' ? `\u001b[${code[0]}m${text}\u001b[${code[1]}m` : text;
  };
}
