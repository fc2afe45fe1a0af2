/**
 * Links long-lived signals (the engine's shutdown and kill) to a short-lived controller (one
 * attempt) with plain listeners that the attempt removes when it ends.
 *
 * Why not `AbortSignal.any([engineSignal, attemptSignal])`: on Node 20 every composite signal
 * stays registered (through WeakRefs) on the long-lived input signal and is never pruned, and
 * V8 keeps a WeakRef's target alive until the current job ends — a busy engine kept ~16 KB per
 * finished saga that way (nodejs/node#54614, #55351). A listener removed in `finally` leaves
 * nothing behind.
 */

/** Aborts `target` when any of `sources` aborts, with that source's reason. Returns the unlink. */
export function linkAbort(target: AbortController, ...sources: AbortSignal[]): () => void {
  const listeners: [AbortSignal, () => void][] = [];
  for (const source of sources) {
    if (source.aborted) {
      target.abort(source.reason);
      break;
    }
    const onAbort = (): void => target.abort(source.reason);
    source.addEventListener('abort', onAbort, { once: true });
    listeners.push([source, onAbort]);
  }
  return () => {
    for (const [source, onAbort] of listeners) source.removeEventListener('abort', onAbort);
  };
}
