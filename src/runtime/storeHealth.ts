/**
 * Whether the engine can reach its store, as the engine sees it: every retry of an append,
 * a read or the worker's subscription reports here, and so does every success.
 *
 * What an operator sees: one warning when the store becomes unavailable (what failed, the
 * attempt, the next delay), one error if it stays unavailable past the policy's bound (the
 * engine is then unhealthy), and one line when it is back, with how long it was down.
 */
import { BehaviorSubject, distinctUntilChanged, type Observable } from 'rxjs';
import { errorInfo } from '../core/classify.js';
import type { InfrastructurePolicy } from '../core/infrastructurePolicy.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from './clock.js';

/** `healthy`: the store answers; `degraded`: it is failing, within the policy's bound; `unhealthy`: past it. */
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

/** What `engine.health()` reports. */
export interface EngineHealth {
  /** healthy: the store answers; degraded: it is failing, within the policy's bound; unhealthy: past it. */
  status: HealthStatus;
  /** When the store began to fail (ms since the epoch), null while healthy. */
  since: number | null;
  /** The last failure, null while healthy. */
  reason: string | null;
}

const HEALTHY: EngineHealth = Object.freeze({ status: 'healthy', since: null, reason: null });

export class StoreHealth {
  private readonly subject = new BehaviorSubject<EngineHealth>(HEALTHY);
  readonly health$: Observable<EngineHealth> = this.subject.pipe(distinctUntilChanged((a, b) => a.status === b.status));

  constructor(
    private readonly policy: InfrastructurePolicy,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  get current(): EngineHealth {
    return this.subject.value;
  }

  /** A store call failed transiently and will be retried after `delayMs`. */
  failed(doing: string, error: unknown, attempt: number, delayMs: number): void {
    const now = this.clock.now();
    const current = this.subject.value;
    const reason = `${doing}: ${errorInfo(error).message}`;
    if (current.status === 'healthy') {
      this.log.warn({ doing, attempt, delayMs, err: errorInfo(error) }, 'store unavailable: retrying');
      this.subject.next({ status: 'degraded', since: now, reason });
      return;
    }
    const since = current.since ?? now;
    if (current.status === 'degraded' && now - since >= this.policy.unhealthyAfterMs) {
      this.log.error({ doing, attempt, delayMs, downMs: now - since, err: errorInfo(error) }, 'store unavailable past the bound: engine unhealthy');
      this.subject.next({ status: 'unhealthy', since, reason });
      return;
    }
    this.log.debug({ doing, attempt, delayMs, err: errorInfo(error) }, 'store still unavailable: retrying');
  }

  /** A store call succeeded. Cheap when nothing was failing. */
  succeeded(): void {
    const current = this.subject.value;
    if (current.status === 'healthy') return;
    // At the warning's level, so that whoever saw the outage begin sees it end.
    this.log.warn({ downMs: this.clock.now() - (current.since ?? this.clock.now()) }, 'store available again');
    this.subject.next(HEALTHY);
  }

  complete(): void {
    this.subject.complete();
  }
}
