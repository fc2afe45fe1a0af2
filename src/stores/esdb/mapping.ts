/**
 * From the client's shapes to the port's.
 *
 * Positions. EventStoreDB addresses `$all` by a pair {commit, prepare}: byte offsets into its
 * transaction log, ordered by commit, then prepare. The port has one number. The mapping:
 * - port position = commit position + 1. Every event sagaflow writes comes from a gRPC append,
 *   an implicit transaction whose events each get commit == prepare, so the commit position
 *   alone orders them strictly. Legacy TCP explicit transactions gave their events one shared
 *   commit position: such events are refused when they would be returned, rather than
 *   mis-ordered, and merely stepped over (by commit position) when filtered out;
 * - the + 1 keeps the port's 0 for "before everything": commit position 0 is a valid
 *   position (the first record of a log), and `readAll({ after: 0 })` must include it;
 * - it is exact as long as the log is under 2^53 bytes (8 PiB); past that we refuse too;
 * - back to ESDB: {commit: p - 1, prepare: p - 1}, the event's own position. "After p"
 *   starts there: a `$all` read from a position includes the event at it, so that event is
 *   dropped; a subscription from a position starts after it already. Both paths also drop
 *   anything at or before p, as a guard.
 * - positions have gaps (they are offsets); `after: 0` means "from the start".
 */
import { CorruptedEventError, StoreUnavailableError } from '../../core/errors.js';
import type { Json, RecordedEvent } from '../eventStore.js';
import type { EsdbPosition, EsdbResolvedEvent } from './clientApi.js';

/** The port's position for an ESDB position. */
export function toPortPosition(position: EsdbPosition, where: string): number {
  if (position.commit !== position.prepare) {
    throw new CorruptedEventError(
      `${where} has commit position ${position.commit} but prepare position ${position.prepare}: it was written in an explicit (TCP) transaction, which sagaflow cannot order by one number. Keep sagaflow's streams free of events written through the TCP API.`,
      { details: { where, commit: String(position.commit), prepare: String(position.prepare) } },
    );
  }
  return commitPosition(position.commit, where);
}

/**
 * A commit position as the port's number, for where the prepare position may rightly differ:
 * an append's result (the last event's commit position, the first event's prepare position)
 * and the ordering of events that are filtered out.
 */
export function commitPosition(commit: bigint, where: string): number {
  if (commit >= BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new CorruptedEventError(`${where} is at commit position ${commit}, beyond what a JavaScript number holds exactly.`, { details: { where } });
  }
  return Number(commit) + 1;
}

/** The ESDB position of the event the port calls `position` (> 0). */
export function toEsdbPosition(position: number): EsdbPosition {
  const commit = BigInt(position - 1);
  return { commit, prepare: commit };
}

/** True when sagaflow should see the event: not a system event, and in the prefix when one is given. */
export function isVisible(streamId: string, type: string, streamPrefix: string | undefined): boolean {
  if (streamId.startsWith('$') || type.startsWith('$')) return false;
  return streamPrefix === undefined || streamId.startsWith(streamPrefix);
}

/** Converts a resolved event of sagaflow's (a JSON event, JSON object metadata). */
export function toRecordedEvent(resolved: EsdbResolvedEvent): RecordedEvent {
  const event = resolved.event;
  if (!event) throw new CorruptedEventError('A resolved event without its event (a link to a deleted event?) cannot be read.', { details: {} });
  const where = `${event.streamId}@${event.revision}`;
  if (!event.isJson) {
    throw new CorruptedEventError(`Event ${where} (${event.type}) is not JSON; sagaflow stores JSON events only.`, {
      details: { streamId: event.streamId, revision: Number(event.revision), type: event.type },
    });
  }
  const metadata = event.metadata as unknown;
  if (metadata !== undefined && (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata) || metadata instanceof Uint8Array)) {
    throw new CorruptedEventError(`Event ${where} (${event.type}) has metadata that is not a JSON object.`, {
      details: { streamId: event.streamId, revision: Number(event.revision) },
    });
  }
  return {
    id: event.id,
    streamId: event.streamId,
    type: event.type,
    data: event.data as Json,
    metadata: (metadata ?? {}) as Record<string, Json>,
    revision: Number(event.revision),
    position: toPortPosition(positionOf(resolved, where), where),
    recordedAt: event.created.toISOString(),
  };
}

/**
 * The record's own {commit, prepare}; the read event's commit position when the record's is
 * unset. The record's pair is a plain proto3 field (0 when unset), so {0, 0} alone is not a
 * position; the read event's `commitPosition` is sent in a oneof (present or `no_position`),
 * so it tells a real 0 from a missing one. Servers before 22.10 send neither on stream reads,
 * which the port cannot work with.
 */
function positionOf(resolved: EsdbResolvedEvent, where: string): EsdbPosition {
  const own = resolved.event?.position;
  if (own !== undefined && (own.commit > 0n || own.prepare > 0n)) return own;
  const read = resolved.commitPosition;
  if (read !== undefined) return { commit: read, prepare: read };
  throw new StoreUnavailableError(
    `EventStoreDB sent no global position for ${where}: servers before 22.10 omit it on stream reads. Upgrade EventStoreDB to 22.10 or later (or KurrentDB).`,
    { details: { where } },
  );
}
