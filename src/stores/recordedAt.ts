/**
 * The `recordedAt` of an append: the current time as an ISO 8601 string. `toISOString` costs
 * about ten times a `Date.now()` and the stores stamp every append, so the string is made
 * once per millisecond: appends within one millisecond share it, as they would share the
 * value anyway.
 */
let lastMs = Number.NaN;
let lastIso = '';

/** `new Date(ms).toISOString()`, made at most once per millisecond. */
export function recordedAtNow(ms: number = Date.now()): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
