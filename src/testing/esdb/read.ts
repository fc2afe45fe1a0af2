/**
 * Streams/Read: reads of a stream or of `$all` in either direction, and catch-up
 * subscriptions (confirmation, catch-up, checkpoints for filtered ones, `caught_up`, then live
 * events), the way EventStoreDB's enumerators (ReadStreamForwards, ReadAllForwardsFiltered,
 * AllSubscriptionFiltered, ...) answer them.
 *
 * Rules reproduced: reads from a position are inclusive, subscriptions from a position or
 * revision are exclusive ("after"); backwards `$all` reads from a position return what lies
 * before it; a missing stream answers `stream_not_found`; a `$all` position that is neither a
 * record nor the end of the log is rejected ("Trying to read from an invalid position.").
 */
import { randomUUID } from 'node:crypto';
import { status as GrpcStatus, type ServerWritableStream } from '@grpc/grpc-js';
import type { EsdbLog, StoredEvent } from './log.js';
import { readEventResp, RpcFailure, streamIdentifier, streamNameOf } from './messages.js';
import { newCaughtUp, newCheckpoint, ReadResp, type streamsPb } from './proto.js';

type ReadCall = ServerWritableStream<streamsPb.ReadReq, streamsPb.ReadResp>;

interface EventFilter {
  matches(event: StoredEvent): boolean;
  /** Send a checkpoint every this many considered records. */
  checkpointEvery: number;
}

interface ReadPlan {
  source: { kind: 'stream'; name: string } | { kind: 'all' };
  backwards: boolean;
  /** A revision for streams, a commit position for `$all`. */
  from: 'start' | 'end' | bigint;
  count: bigint | 'subscription';
  filter: EventFilter | undefined;
  structuredUuids: boolean;
}

/** EventStoreDB's default read batch size, the filter's search window when the client sets none. */
const DEFAULT_SEARCH_WINDOW = 32;

/** Creates the Streams/Read handler over `log`. */
export function createReadHandler(log: EsdbLog): (call: ReadCall) => void {
  return (call) => {
    let plan: ReadPlan;
    try {
      plan = parsePlan(call.request);
      if (plan.source.kind === 'all' && typeof plan.from === 'bigint' && !log.isValidPosition(plan.from)) {
        throw new RpcFailure(GrpcStatus.INVALID_ARGUMENT, 'Trying to read from an invalid position.');
      }
    } catch (error) {
      call.emit('error', error instanceof RpcFailure ? error.toServiceError() : error);
      return;
    }
    if (plan.count === 'subscription') new SubscriptionPump(call, log, plan).start();
    else void readOnce(call, log, plan, plan.count);
  };
}

async function readOnce(call: ReadCall, log: EsdbLog, plan: ReadPlan, count: bigint): Promise<void> {
  if (plan.source.kind === 'stream' && log.stream(plan.source.name) === undefined) {
    const notFound = new ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(plan.source.name));
    await send(call, new ReadResp().setStreamNotFound(notFound));
    call.end();
    return;
  }
  const list = plan.source.kind === 'stream' ? log.stream(plan.source.name)! : log.all;
  const step = plan.backwards ? -1 : 1;
  let index = firstIndex(log, list, plan);
  let sent = 0n;
  while (sent < count && index >= 0 && index < list.length) {
    const event = list[index]!;
    index += step;
    if (plan.filter !== undefined && !plan.filter.matches(event)) continue;
    if (!(await send(call, readEventResp(event, plan.structuredUuids)))) return;
    sent += 1n;
  }
  call.end();
}

function firstIndex(log: EsdbLog, list: readonly StoredEvent[], plan: ReadPlan): number {
  const { from, backwards } = plan;
  if (from === 'start') return backwards ? Math.min(0, list.length - 1) : 0;
  if (from === 'end') return backwards ? list.length - 1 : list.length;
  if (plan.source.kind === 'stream') return backwards ? Math.min(Number(from), list.length - 1) : Number(from);
  const at = log.indexAtOrAfter(from);
  return backwards ? at - 1 : at;
}

/** Drives one subscription: catch-up from the log, then live as the log grows. */
class SubscriptionPump {
  private cursor = 0;
  private caughtUp = false;
  private considered = 0;
  private lastConsidered: bigint | undefined;
  private running = false;
  private again = false;
  private closed = false;
  private stopListening: () => void = () => {};

  constructor(
    private readonly call: ReadCall,
    private readonly log: EsdbLog,
    private readonly plan: ReadPlan,
  ) {}

  start(): void {
    this.cursor = this.startCursor();
    if (typeof this.plan.from === 'bigint' && this.plan.source.kind === 'all') this.lastConsidered = this.plan.from;
    const close = (): void => this.close();
    this.call.on('cancelled', close);
    this.call.on('close', close);
    this.call.on('error', close);
    const confirmation = new ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID());
    void send(this.call, new ReadResp().setConfirmation(confirmation)).then(() => {
      if (this.closed) return;
      this.stopListening = this.log.onAppend(() => void this.pump());
      void this.pump();
    });
  }

  private source(): readonly StoredEvent[] {
    return this.plan.source.kind === 'all' ? this.log.all : (this.log.stream(this.plan.source.name) ?? []);
  }

  /** Subscriptions start after the given revision or position. */
  private startCursor(): number {
    const { from, source } = this.plan;
    if (from === 'start') return 0;
    if (from === 'end') return this.source().length;
    if (source.kind === 'stream') return Number(from) + 1;
    const at = this.log.indexAtOrAfter(from);
    return this.log.all[at]?.position === from ? at + 1 : at;
  }

  private async pump(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        await this.deliverPending();
        if (!this.caughtUp && !this.closed) {
          this.caughtUp = true;
          // Filtered subscriptions get a checkpoint when going live (AllSubscriptionFiltered.CatchUp).
          if (this.plan.filter !== undefined && this.lastConsidered !== undefined) await this.checkpoint(this.lastConsidered);
          await send(this.call, new ReadResp().setCaughtUp(newCaughtUp()));
        }
      } while (this.again && !this.closed);
    } finally {
      this.running = false;
    }
  }

  private async deliverPending(): Promise<void> {
    const list = this.source();
    const { filter } = this.plan;
    while (!this.closed && this.cursor < list.length) {
      const event = list[this.cursor]!;
      this.cursor += 1;
      this.lastConsidered = event.position;
      if (filter === undefined || filter.matches(event)) {
        if (!(await send(this.call, readEventResp(event, this.plan.structuredUuids)))) return this.close();
      }
      if (filter !== undefined && ++this.considered % filter.checkpointEvery === 0) await this.checkpoint(event.position);
    }
  }

  private async checkpoint(position: bigint): Promise<void> {
    await send(this.call, new ReadResp().setCheckpoint(newCheckpoint(position)));
  }

  private close(): void {
    this.closed = true;
    this.stopListening();
  }
}

/** Writes with backpressure; false when the call is gone. */
async function send(call: ReadCall, message: streamsPb.ReadResp): Promise<boolean> {
  if (call.cancelled || call.destroyed || call.writableEnded) return false;
  if (call.write(message)) return true;
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      call.off('drain', onDrain);
      call.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    call.once('drain', onDrain);
    call.once('close', onClose);
  });
}

function parsePlan(request: streamsPb.ReadReq): ReadPlan {
  const options = request.getOptions();
  if (options === undefined) throw new RpcFailure(GrpcStatus.INVALID_ARGUMENT, "Required Property 'options' is missing");
  let source: ReadPlan['source'];
  let from: ReadPlan['from'];
  if (options.hasStream()) {
    const stream = options.getStream()!;
    source = { kind: 'stream', name: streamNameOf(stream.getStreamIdentifier()) };
    from = stream.hasStart() ? 'start' : stream.hasEnd() ? 'end' : BigInt(stream.getRevision());
  } else if (options.hasAll()) {
    const all = options.getAll()!;
    source = { kind: 'all' };
    if (all.hasPosition()) {
      const position = all.getPosition()!;
      if (position.getCommitPosition() !== position.getPreparePosition()) {
        throw new RpcFailure(GrpcStatus.INVALID_ARGUMENT, 'Trying to read from an invalid position.');
      }
      from = BigInt(position.getCommitPosition());
    } else from = all.hasEnd() ? 'end' : 'start';
  } else throw new RpcFailure(GrpcStatus.INVALID_ARGUMENT, "Required Property 'stream_option' is missing");
  return {
    source,
    from,
    backwards: options.getReadDirection() === ReadDirection.BACKWARDS,
    count: options.hasSubscription() ? 'subscription' : BigInt(options.getCount()),
    filter: options.hasFilter() ? parseFilter(options.getFilter()!) : undefined,
    structuredUuids: options.getUuidOption()?.hasStructured() ?? false,
  };
}

const ReadDirection = { BACKWARDS: 1 } as const;

function parseFilter(filter: streamsPb.ReadReq.Options.FilterOptions): EventFilter {
  const byStream = filter.hasStreamIdentifier();
  const expression = byStream ? filter.getStreamIdentifier() : filter.getEventType();
  if (expression === undefined) throw new RpcFailure(GrpcStatus.INVALID_ARGUMENT, "Required Property 'filter' is missing");
  const multiplier = filter.getCheckpointintervalmultiplier();
  if (multiplier <= 0) throw new RpcFailure(GrpcStatus.INVALID_ARGUMENT, 'checkpointIntervalMultiplier must be greater than 0');
  const prefixes = expression.getPrefixList();
  // .NET regular expressions; JavaScript's agree on the simple ones clients send ("^[^$].*").
  const regex = prefixes.length === 0 ? new RegExp(expression.getRegex()) : undefined;
  const test = (value: string): boolean => (regex ? regex.test(value) : prefixes.some((prefix) => value.startsWith(prefix)));
  const window = filter.hasMax() ? filter.getMax() : DEFAULT_SEARCH_WINDOW;
  return {
    matches: (event) => test(byStream ? event.streamName : event.type),
    checkpointEvery: multiplier * window,
  };
}
