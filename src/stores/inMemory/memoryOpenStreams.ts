/** The open-stream index of the in-memory store (openStreamIndex.ts): a Map in opening order. */
import type { NewEvent } from '../eventStore.js';
import type { OpenStreamIndex, OpenStreamPlanner } from '../openStreamIndex.js';

export interface MemoryOpenStreams extends OpenStreamIndex {
  /** Called by each append, after its events got positions from `firstPosition` on. */
  applyAppend(streamId: string, events: readonly NewEvent[], firstPosition: number): void;
}

export function createMemoryOpenStreams(head: () => number, lastPositionOf: (streamId: string) => number | undefined): MemoryOpenStreams {
  let planner: OpenStreamPlanner | undefined;
  // Insertion order is opening order; re-opening an open stream keeps its place.
  const open = new Map<string, number>();
  /** Claims by stream: who, and until when (ms since the epoch, this process's clock). */
  const claims = new Map<string, { owner: string; until: number }>();
  const page = (
    streamPrefix: string,
    limit: number,
    after: number,
    take: (streamId: string) => boolean,
  ): { complete: true; streamIds: string[]; next: number | undefined; position: number } => {
    const streamIds: string[] = [];
    let next: number | undefined;
    for (const [streamId, openedAt] of open) {
      if (openedAt <= after || !streamId.startsWith(streamPrefix) || !take(streamId)) continue;
      if (streamIds.length === limit) break;
      streamIds.push(streamId);
      next = openedAt;
    }
    // A full page may have more after it; a short one is the last.
    return { complete: true, streamIds, next: streamIds.length === limit ? next : undefined, position: head() };
  };
  return {
    usePlanner(next) {
      planner = next;
    },
    applyAppend(streamId, events, firstPosition) {
      const change = planner?.(streamId, events);
      if (change === 'open' && !open.has(streamId)) open.set(streamId, firstPosition);
      else if (change === 'close') {
        open.delete(streamId);
        claims.delete(streamId);
      }
    },
    async list({ streamPrefix, limit, after = 0 }) {
      return page(streamPrefix, limit, after, () => true);
    },
    async claim({ streamPrefix, limit, owner, leaseMs, after = 0, expiredOnly = false, now }) {
      let heldByOthers = false;
      const free = (streamId: string): boolean => {
        const claim = claims.get(streamId);
        if (claim === undefined) return !expiredOnly;
        if (claim.until <= now || claim.owner === owner) return true;
        heldByOthers = true;
        return false;
      };
      const claimed = page(streamPrefix, limit, after, free);
      for (const streamId of claimed.streamIds) claims.set(streamId, { owner, until: now + leaseMs });
      return { ...claimed, heldByOthers };
    },
    async adopt(entries, scannedTo) {
      for (const { streamId, openedAt } of entries) {
        if ((lastPositionOf(streamId) ?? 0) <= scannedTo && !open.has(streamId)) open.set(streamId, openedAt);
      }
    },
  };
}
