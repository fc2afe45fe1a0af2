/**
 * Where the store's connections go. A single-host connection string goes to `pg` unchanged,
 * exactly as it always did. A multi-host one (hostList.ts) gets a PrimaryLocator, and:
 * - the pool builds each new connection for the host the locator found (a `pg.Client`
 *   subclass: pg-pool's documented `Client` option), and checks on connect that the server
 *   is not in recovery (`onConnect`), so a connection never serves from a standby, not even
 *   reads (a standby's reads lag; the engine's decisions need the latest revision);
 * - the LISTEN connection of subscriptions asks the locator before each (re)connect.
 */
import pg from 'pg';
import { parseHostList, withHosts, formatHost, type HostList, type PostgresHost } from './hostList.js';
import { isRetryable } from './connectionErrors.js';
import { NotPrimaryError, PrimaryLocator, type HostAnswer } from './primaryLocator.js';

/** How a store connects: the pool's config, and the LISTEN connection's. */
export interface ConnectionTarget {
  pool: pg.PoolConfig;
  /** The LISTEN connection's config, for the current primary (multi-host: asks the locator). */
  listenConfig(): Promise<pg.ClientConfig>;
  /** Present for a multi-host connection string only. */
  locator?: PrimaryLocator;
  hostList?: HostList;
}

const IN_RECOVERY = 'SELECT pg_is_in_recovery() AS in_recovery';

/**
 * Asks one host whether it is in recovery, on a connection of its own that is closed at once.
 * The question has the connect timeout too: a host that accepts connections but hangs must not
 * hold up every call waiting for the primary.
 */
function probeWith(config: (host: PostgresHost) => pg.ClientConfig, timeoutMs: number) {
  return async (host: PostgresHost): Promise<HostAnswer> => {
    const client = new pg.Client({ query_timeout: timeoutMs, ...config(host) });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ in_recovery: boolean }>(IN_RECOVERY);
      return rows[0]?.in_recovery ? { role: 'standby' } : { role: 'primary' };
    } catch (error) {
      return { role: 'unreachable', reason: error instanceof Error ? error.message : String(error) };
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}

/**
 * onConnect: refuse a new pool connection to a standby (the locator's answer went stale), or
 * to a server that does not answer in time (pg-pool's connect timeout no longer runs here).
 */
async function assertPrimary(client: pg.ClientBase, timeoutMs: number): Promise<void> {
  const { host, port } = client as unknown as { host: string; port: number };
  const where = formatHost({ host, port });
  let inRecovery: boolean | undefined;
  try {
    const { rows } = await client.query<{ in_recovery: boolean }>({ text: IN_RECOVERY, query_timeout: timeoutMs } as pg.QueryConfig);
    inRecovery = rows[0]?.in_recovery;
  } catch (error) {
    if (isRetryable(error)) throw error;
    throw Object.assign(new NotPrimaryError(where, `did not say whether it is in recovery (${error instanceof Error ? error.message : String(error)})`), {
      cause: error,
    });
  }
  if (inRecovery) throw new NotPrimaryError(where);
}

export function connectionTarget(
  connectionString: string,
  hosts: readonly { host: string; port?: number }[] | undefined,
  poolOptions: Omit<pg.PoolConfig, 'connectionString'>,
): ConnectionTarget {
  const base: pg.PoolConfig = { max: 10, connectionTimeoutMillis: 5_000, ...poolOptions };
  const hostList = hosts ? withHosts(connectionString, hosts) : parseHostList(connectionString);
  if (!hostList || hostList.hosts.length === 1) {
    const single = hostList ? hostList.urlFor(hostList.hosts[0] as PostgresHost) : connectionString;
    const { max: _max, ...client } = { ...base, connectionString: single };
    return { pool: { ...base, connectionString: single }, listenConfig: async () => client };
  }
  const multi = hostList;
  const { max: _max, onConnect: userOnConnect, ...clientBase } = base;
  const forHost = (host: PostgresHost): pg.ClientConfig => ({ ...clientBase, connectionString: hostList.urlFor(host) });
  const timeoutMs = base.connectionTimeoutMillis || 5_000;
  const locator = new PrimaryLocator(hostList.hosts, probeWith(forHost, timeoutMs));
  class PrimaryClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super({ ...config, connectionString: multi.urlFor(locator.host) });
    }
  }
  return {
    pool: {
      ...base,
      connectionString: hostList.urlFor(locator.host),
      Client: PrimaryClient,
      onConnect: async (client) => {
        await assertPrimary(client, timeoutMs);
        await userOnConnect?.(client);
      },
    },
    listenConfig: async () => {
      await locator.located();
      return forHost(locator.host);
    },
    locator,
    hostList,
  };
}
