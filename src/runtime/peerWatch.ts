/**
 * The other workers this worker's sagas wait for (their attempts in flight), watched through
 * the store's worker liveness: when one dies, every saga waiting for it is driven again at
 * once, and its attempt is taken over in milliseconds instead of when the lease runs out.
 * Only what drives report is watched (a saga waits for a worker ⇒ that worker is watched), so
 * no worker is watched for long after its sagas moved on.
 */
import type { WorkerLiveness } from '../stores/eventStore.js';

export class PeerWatch {
  /** Sagas waiting for each watched worker, and the watch's stop. */
  private readonly peers = new Map<string, { sagas: Set<string>; stop: () => void }>();
  /** The worker each waiting saga waits for. */
  private readonly waitingFor = new Map<string, string>();

  constructor(
    private readonly liveness: WorkerLiveness,
    private readonly wake: (sagaId: string) => void,
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
      peer = { sagas, stop: this.liveness.watch(worker, () => this.died(worker)) };
      this.peers.set(worker, peer);
    }
    peer.sagas.add(sagaId);
  }

  private forget(sagaId: string, worker: string): void {
    this.waitingFor.delete(sagaId);
    const peer = this.peers.get(worker);
    if (!peer) return;
    peer.sagas.delete(sagaId);
    if (peer.sagas.size > 0) return;
    peer.stop();
    this.peers.delete(worker);
  }

  private died(worker: string): void {
    const peer = this.peers.get(worker);
    if (!peer) return;
    this.peers.delete(worker);
    for (const sagaId of peer.sagas) {
      this.waitingFor.delete(sagaId);
      this.wake(sagaId);
    }
  }

  /** Stops every watch (the engine closes or is killed). */
  stop(): void {
    for (const peer of this.peers.values()) peer.stop();
    this.peers.clear();
    this.waitingFor.clear();
  }
}
