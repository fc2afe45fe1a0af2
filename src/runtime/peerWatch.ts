/**
 * The other workers this worker's sagas wait for (their attempts in flight), watched through
 * the store's worker liveness: when one dies, every saga waiting for it is driven again at
 * once, and its attempt is taken over in milliseconds instead of when the lease runs out.
 * Only what drives report is watched (a saga waits for a worker ⇒ that worker is watched); a
 * watch lingers a few seconds after its last saga moved on, since the next saga of that worker
 * usually follows (on PostgreSQL a watch is a connection: not one per saga).
 */
import type { WorkerLiveness } from '../stores/eventStore.js';
import type { Clock } from './clock.js';
import { scheduleOn } from './clock.js';

/** How long a watch outlives the last saga waiting for its worker, in ms. */
const LINGER_MS = 5_000;

export class PeerWatch {
  /** Sagas waiting for each watched worker, and the watch's stop. */
  private readonly peers = new Map<string, { sagas: Set<string>; stop: () => void; linger?: () => void }>();
  /** The worker each waiting saga waits for. */
  private readonly waitingFor = new Map<string, string>();

  constructor(
    private readonly liveness: WorkerLiveness,
    private readonly wake: (sagaId: string) => void,
    private readonly clock: Clock,
  ) {}

  /** A drive of `sagaId` ended waiting for `worker`'s attempt, or (undefined) for no other worker. */
  note(sagaId: string, worker: string | undefined): void {
    const before = this.waitingFor.get(sagaId);
    if (before === worker) return;
    if (before !== undefined) this.forget(sagaId, before);
    if (worker === undefined) return;
    this.waitingFor.set(sagaId, worker);
    let peer = this.peers.get(worker);
    if (!peer) {
      const sagas = new Set<string>();
      // Records are written by the engines' clocks: judge their expiry by ours, not the system's.
      peer = {
        sagas,
        stop: this.liveness.watch(
          worker,
          () => this.died(worker),
          () => this.clock.now(),
        ),
      };
      this.peers.set(worker, peer);
    }
    peer.linger?.();
    peer.linger = undefined;
    peer.sagas.add(sagaId);
  }

  private forget(sagaId: string, worker: string): void {
    this.waitingFor.delete(sagaId);
    const peer = this.peers.get(worker);
    if (!peer) return;
    peer.sagas.delete(sagaId);
    if (peer.sagas.size > 0 || peer.linger) return;
    peer.linger = scheduleOn(this.clock, LINGER_MS, () => {
      if (this.peers.get(worker) !== peer || peer.sagas.size > 0) return;
      peer.stop();
      this.peers.delete(worker);
    });
  }

  private died(worker: string): void {
    const peer = this.peers.get(worker);
    if (!peer) return;
    this.peers.delete(worker);
    peer.linger?.();
    for (const sagaId of peer.sagas) {
      this.waitingFor.delete(sagaId);
      this.wake(sagaId);
    }
  }

  /** Stops every watch (the engine closes or is killed). */
  stop(): void {
    for (const peer of this.peers.values()) {
      peer.linger?.();
      peer.stop();
    }
    this.peers.clear();
    this.waitingFor.clear();
  }
}
