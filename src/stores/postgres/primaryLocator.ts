/**
 * Finds the primary among the hosts of a multi-host URL, like libpq's
 * `target_session_attrs=read-write`: every host is asked `SELECT pg_is_in_recovery()`, and the
 * first host *in list order* that answers "not in recovery" is used (the hosts are asked at
 * once, so a dead host before the primary costs one refused connection, not a turn each).
 *
 * The store asks `located()` before it connects, and reports failures with `suspect(error)`:
 * a dropped or refused connection, an administrator shutdown (57P01-57P03) or a server that
 * turned read-only (25006: the old primary came back as a standby) make the next `located()`
 * ask again. While no host is a primary (the orchestrator is still promoting a standby),
 * `located()` fails with NoPrimaryError, a connection error the store's retry rides out.
 *
 * Picking the primary is the orchestrator's job (Patroni, a managed service): this only follows
 * it. With two primaries (a split brain the orchestrator failed to fence) the earlier host wins.
 */
import { isRetryable } from './connectionErrors.js';
import { describeHosts, formatHost, type PostgresHost } from './hostList.js';

/** What a host said when asked whether it is in recovery. */
export type HostAnswer = { role: 'primary' } | { role: 'standby' } | { role: 'unreachable'; reason: string };

/** Asks one host; resolves with its answer, never rejects. */
export type HostProbe = (host: PostgresHost) => Promise<HostAnswer>;

/**
 * No host is a primary right now. Its SQLSTATE-like code 08001 (sqlclient unable to establish
 * connection) makes it a connection failure to every retry in the store, which is what it is.
 */
export class NoPrimaryError extends Error {
  readonly code = '08001';
  constructor(readonly answers: readonly { host: PostgresHost; answer: HostAnswer }[]) {
    super(
      `no primary among ${describeHosts(answers.map((a) => a.host))}: ${answers.map(({ host, answer }) => `${formatHost(host)} ${describeAnswer(answer)}`).join('; ')}`,
    );
    this.name = 'NoPrimaryError';
  }
}

/**
 * A connection reached a host that is not (or no longer) the primary. Code 08004 (the server
 * rejected the connection): to the store's retries a connection failure, after which the
 * locator asks again.
 */
export class NotPrimaryError extends Error {
  readonly code = '08004';
  constructor(host: string, why = 'is a standby (in recovery)') {
    super(`${host} ${why}, not the primary`);
    this.name = 'NotPrimaryError';
  }
}

function describeAnswer(answer: HostAnswer): string {
  return answer.role === 'unreachable' ? `is unreachable (${answer.reason})` : answer.role === 'standby' ? 'is a standby (in recovery)' : 'is the primary';
}

/**
 * The decision, given the answers so far (undefined: not yet answered), in host order: the
 * index of the first primary once every host before it has answered; 'wait' while an earlier
 * host may still turn out to be one; 'none' when every host answered and none is a primary.
 */
export function pickPrimary(answers: readonly (HostAnswer | undefined)[]): number | 'wait' | 'none' {
  for (const [i, answer] of answers.entries()) {
    if (answer === undefined) return 'wait';
    if (answer.role === 'primary') return i;
  }
  return 'none';
}

/**
 * Errors after which the primary may have moved, so the hosts are asked again: every
 * connection failure the store retries (sockets, class 08, shutdowns 57P01-57P03), and 25006
 * (read_only_sql_transaction: the server we talk to is a standby now). Not serialization
 * failures or deadlocks: the server that reported them is alive and the primary.
 */
export function suggestsFailover(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === '25006') return true;
  return isRetryable(error) && code !== '40001' && code !== '40P01';
}

export class PrimaryLocator {
  private current = 0;
  private stale = true;
  private probing: Promise<void> | undefined;

  constructor(
    readonly hosts: readonly PostgresHost[],
    private readonly probe: HostProbe,
  ) {
    if (hosts.length === 0) throw new RangeError('PrimaryLocator needs at least one host');
  }

  /** The host new connections go to: the primary found last (the first host before any probe). */
  get host(): PostgresHost {
    return this.hosts[this.current] as PostgresHost;
  }

  /** Resolves once a primary is known, asking the hosts if needed; rejects with NoPrimaryError. */
  located(): Promise<void> {
    if (!this.stale) return Promise.resolve();
    // Concurrent callers share one round of questions.
    this.probing ??= this.ask().finally(() => (this.probing = undefined));
    return this.probing;
  }

  /** An operation failed with `error`: if the primary may have moved, ask again next time. */
  suspect(error: unknown): void {
    // A round already under way answers for this failure too.
    if (!this.probing && suggestsFailover(error)) this.stale = true;
  }

  private async ask(): Promise<void> {
    const answers: (HostAnswer | undefined)[] = this.hosts.map(() => undefined);
    const chosen = await new Promise<number | 'none'>((resolve) => {
      this.hosts.forEach((host, i) => {
        void this.probe(host)
          .catch((error: unknown): HostAnswer => ({ role: 'unreachable', reason: error instanceof Error ? error.message : String(error) }))
          .then((answer) => {
            answers[i] = answer;
            const decision = pickPrimary(answers);
            if (decision !== 'wait') resolve(decision);
          });
      });
    });
    if (chosen === 'none') throw new NoPrimaryError(this.hosts.map((host, i) => ({ host, answer: answers[i] as HostAnswer })));
    this.current = chosen;
    this.stale = false;
  }
}
