/** Where the store's connections go: a single-host URL exactly as before; several hosts through the primary locator. */
import { describe, expect, it } from 'vitest';
import { connectionTarget } from '../../../../src/stores/postgres/connectionTarget.js';

describe('connectionTarget', () => {
  it('gives pg a single-host URL unchanged, with the same pool defaults as before, and no locator', async () => {
    const url = 'postgres://app:pw@db:5432/orders?sslmode=disable';
    const target = connectionTarget(url, undefined, { max: 4 });
    expect(target.pool).toEqual({ max: 4, connectionTimeoutMillis: 5_000, connectionString: url });
    expect(target.locator).toBeUndefined();
    expect(await target.listenConfig()).toEqual({ connectionTimeoutMillis: 5_000, connectionString: url });
    // The key=value form too.
    expect(connectionTarget('host=db dbname=orders', undefined, {}).pool.connectionString).toBe('host=db dbname=orders');
  });

  it('a hosts option with one host replaces the URL host, still without a locator', () => {
    const target = connectionTarget('postgres://app:pw@ignored/orders', [{ host: 'db1', port: 6432 }], {});
    expect(target.pool.connectionString).toBe('postgres://app:pw@db1:6432/orders');
    expect(target.locator).toBeUndefined();
  });

  it('several hosts: a locator over them, a pool whose connections go to its host and are checked on connect', () => {
    const target = connectionTarget('postgres://app:pw@db1:5432,db2:5433/orders', undefined, { max: 3, onConnect: () => undefined });
    expect(target.locator?.hosts).toEqual([
      { host: 'db1', port: 5432 },
      { host: 'db2', port: 5433 },
    ]);
    expect(target.pool.connectionString).toBe('postgres://app:pw@db1:5432/orders');
    expect(target.pool.max).toBe(3);
    expect(target.pool.Client).toBeTypeOf('function');
    expect(target.pool.onConnect).toBeTypeOf('function');
    // A new connection (not connected here) is built for the locator's host.
    const Client = target.pool.Client as unknown as new (config: object) => { host: string; port: number };
    const client = new Client(target.pool);
    expect([client.host, client.port]).toEqual(['db1', 5432]);
  });
});
