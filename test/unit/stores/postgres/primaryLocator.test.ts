/** The primary locator's decisions, against scripted hosts: which host it picks, when it asks again, what it says when none is the primary. */
import { describe, expect, it } from 'vitest';
import { NoPrimaryError, pickPrimary, PrimaryLocator, suggestsFailover, type HostAnswer } from '../../../../src/stores/postgres/primaryLocator.js';
import type { PostgresHost } from '../../../../src/stores/postgres/hostList.js';
import { isRetryable } from '../../../../src/stores/postgres/connectionErrors.js';

const primary: HostAnswer = { role: 'primary' };
const standby: HostAnswer = { role: 'standby' };
const refused: HostAnswer = { role: 'unreachable', reason: 'connect ECONNREFUSED' };
const HOSTS: PostgresHost[] = [
  { host: 'db1', port: 5432 },
  { host: 'db2', port: 5433 },
  { host: 'db3', port: 5434 },
];

/** Hosts whose answers the test sets; counts the questions. */
function scripted(initial: HostAnswer[]) {
  const answers = [...initial];
  const asked: string[] = [];
  const probe = async (host: PostgresHost): Promise<HostAnswer> => {
    asked.push(host.host);
    return answers[HOSTS.findIndex((h) => h.host === host.host)] as HostAnswer;
  };
  return { answers, asked, probe };
}

describe('pickPrimary', () => {
  it('takes the first primary in host order, once every host before it has answered', () => {
    expect(pickPrimary([refused, primary, primary])).toBe(1);
    expect(pickPrimary([undefined, primary])).toBe('wait');
    expect(pickPrimary([standby, primary, undefined])).toBe(1);
    expect(pickPrimary([primary, undefined, undefined])).toBe(0);
    expect(pickPrimary([standby, refused, standby])).toBe('none');
  });
});

describe('PrimaryLocator', () => {
  it('finds the primary, then answers from memory until told it may have moved', async () => {
    const hosts = scripted([standby, primary, refused]);
    const locator = new PrimaryLocator(HOSTS, hosts.probe);
    await locator.located();
    expect(locator.host).toEqual(HOSTS[1]);
    expect(hosts.asked).toHaveLength(3);
    await locator.located();
    locator.suspect(Object.assign(new Error('duplicate key'), { code: '23505' })); // a statement error: the server is fine
    locator.suspect(Object.assign(new Error('could not serialize'), { code: '40001' }));
    await locator.located();
    expect(hosts.asked).toHaveLength(3);
  });

  it('asks again after a dropped connection, and follows the promotion of a standby', async () => {
    const hosts = scripted([primary, standby, standby]);
    const locator = new PrimaryLocator(HOSTS, hosts.probe);
    await locator.located();
    expect(locator.host).toEqual(HOSTS[0]);
    // The primary dies; the standby is not promoted yet.
    hosts.answers[0] = refused;
    locator.suspect(new Error('Connection terminated unexpectedly'));
    const during = await locator.located().catch((error: unknown) => error);
    expect(during).toBeInstanceOf(NoPrimaryError);
    expect(isRetryable(during), 'the store retries it like any connection failure').toBe(true);
    expect((during as Error).message).toBe(
      'no primary among db1:5432, db2:5433, db3:5434: db1:5432 is unreachable (connect ECONNREFUSED); db2:5433 is a standby (in recovery); db3:5434 is a standby (in recovery)',
    );
    // Still not located: the next call asks again, and finds the promoted standby.
    hosts.answers[2] = primary;
    await locator.located();
    expect(locator.host).toEqual(HOSTS[2]);
    // The old primary comes back as a standby: a write there fails with 25006, and the locator stays on db3.
    hosts.answers[0] = standby;
    locator.suspect(Object.assign(new Error('cannot execute INSERT in a read-only transaction'), { code: '25006' }));
    await locator.located();
    expect(locator.host).toEqual(HOSTS[2]);
  });

  it('lets concurrent callers share one round of questions', async () => {
    const hosts = scripted([refused, primary, standby]);
    const locator = new PrimaryLocator(HOSTS, hosts.probe);
    await Promise.all([locator.located(), locator.located(), locator.located()]);
    expect(hosts.asked).toHaveLength(3);
  });

  it('does not wait for a slow host after the first primary in order', async () => {
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const locator = new PrimaryLocator(HOSTS, async (host) => {
      if (host.host === 'db3') await slow;
      return host.host === 'db1' ? refused : primary;
    });
    await locator.located();
    expect(locator.host).toEqual(HOSTS[1]);
    release();
  });

  it('treats a probe that throws as an unreachable host', async () => {
    const locator = new PrimaryLocator(HOSTS.slice(0, 2), async (host) => {
      if (host.host === 'db1') throw new Error('getaddrinfo ENOTFOUND db1');
      return primary;
    });
    await locator.located();
    expect(locator.host).toEqual(HOSTS[1]);
  });
});

describe('suggestsFailover', () => {
  it('is true for connection failures, shutdowns and a read-only server; false for statement errors and serialization failures', () => {
    const e = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });
    for (const error of [e('ECONNREFUSED'), e('ECONNRESET'), e('57P01'), e('57P03'), e('08006'), e('25006'), new Error('Connection terminated unexpectedly')])
      expect(suggestsFailover(error), String((error as { code?: string }).code)).toBe(true);
    for (const error of [e('23505'), e('40001'), e('40P01'), e('42P01'), new Error('boom'), null, 'string']) expect(suggestsFailover(error)).toBe(false);
  });
});
