/** Multi-host PostgreSQL URLs: which hosts they name, the single-host URL per host, and errors that never show the password. */
import { describe, expect, it } from 'vitest';
import { StoreUrlError } from '../../../../src/core/errors.js';
import { parseStoreUrl } from '../../../../src/stores/storeUrl.js';
import { parseHostList, withHosts } from '../../../../src/stores/postgres/hostList.js';
import { redactConnectionString, unavailable } from '../../../../src/stores/postgres/connectionErrors.js';

const SECRET = 's3cr3t';

function thrown(fn: () => unknown): StoreUrlError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreUrlError);
    return error as StoreUrlError;
  }
  throw new Error('expected a StoreUrlError');
}

describe('parseHostList', () => {
  it('leaves single-host URLs and the key=value form alone (they go to pg unchanged)', () => {
    expect(parseHostList(`postgres://app:${SECRET}@db:5432/orders`)).toBeUndefined();
    expect(parseHostList('postgresql://db/orders')).toBeUndefined();
    expect(parseHostList(`host=db port=5432 password=${SECRET}`)).toBeUndefined();
  });

  it('lists the hosts in order, with 5432 for a host without a port', () => {
    const list = parseHostList(`postgres://app:${SECRET}@db1:5433,db2,10.0.0.7:6000/orders`);
    expect(list?.hosts).toEqual([
      { host: 'db1', port: 5433 },
      { host: 'db2', port: 5432 },
      { host: '10.0.0.7', port: 6000 },
    ]);
  });

  it('gives each host the same user, password, database and options', () => {
    const list = parseHostList(`postgresql://app:${SECRET}@db1:5432,db2:5433/orders?sslmode=require&application_name=w`);
    expect(list?.urlFor({ host: 'db2', port: 5433 })).toBe(`postgresql://app:${SECRET}@db2:5433/orders?sslmode=require&application_name=w`);
    expect(new URL(list!.urlFor({ host: 'db1', port: 5432 })).password).toBe(SECRET);
  });

  it('keeps a password with an unescaped @ in it, and works without user info or database', () => {
    expect(parseHostList('postgres://app:p@ss@h1,h2:7')?.urlFor({ host: 'h2', port: 7 })).toBe('postgres://app:p@ss@h2:7');
    expect(parseHostList('postgres://h1:1,h2:2')?.urlFor({ host: 'h1', port: 1 })).toBe('postgres://h1:1');
  });

  it('accepts bracketed IPv6 hosts', () => {
    const list = parseHostList('postgres://u@[::1]:5432,[fe80::2]/db');
    expect(list?.hosts).toEqual([
      { host: '::1', port: 5432 },
      { host: 'fe80::2', port: 5432 },
    ]);
    expect(list?.urlFor({ host: '::1', port: 5432 })).toBe('postgres://u@[::1]:5432/db');
  });

  it('drops target_session_attrs=read-write or primary (the store always wants the primary), refuses other values', () => {
    const list = parseHostList('postgres://u@h1,h2/db?target_session_attrs=read-write&sslmode=disable');
    expect(list?.urlFor({ host: 'h1', port: 5432 })).toBe('postgres://u@h1:5432/db?sslmode=disable');
    expect(parseHostList('postgres://u@h1,h2/db?target_session_attrs=primary')?.urlFor({ host: 'h2', port: 5432 })).toBe('postgres://u@h2:5432/db');
    expect(thrown(() => parseHostList('postgres://u@h1,h2/db?target_session_attrs=read-only')).message).toMatch(
      /target_session_attrs=read-only is not supported/,
    );
  });

  it('refuses a malformed host list without showing the password, even one with an unescaped ? that hides the user info', () => {
    expect(thrown(() => parseHostList('postgres://u@h1,h2:99999/db')).message).toBe(
      'Invalid port in host 2 of the 2 in the PostgreSQL URL (not shown: it may hold a password): expected 1-65535.',
    );
    for (const url of [
      `postgres://u:${SECRET}@h1:5432,:5433/db`,
      `postgres://u:${SECRET}@h1:5432,h2:0/db`,
      `postgres://u:${SECRET}@h1,h2:99999/db`,
      `postgres://u:${SECRET}@h1,,h2/db`,
      `postgres://u:x,${SECRET}?y@h1,h2/db`,
    ]) {
      const error = thrown(() => parseHostList(url));
      expect(error.code).toBe('STORE_URL_INVALID');
      expect(error.message).not.toContain(SECRET);
    }
  });
});

describe('the hosts option', () => {
  it('replaces the host part of the URL, keeping user, password, database and options', () => {
    const list = withHosts(`postgres://app:${SECRET}@ignored:1/orders?sslmode=disable`, [{ host: 'db1' }, { host: 'db2', port: 5433 }]);
    expect(list.hosts).toEqual([
      { host: 'db1', port: 5432 },
      { host: 'db2', port: 5433 },
    ]);
    expect(list.urlFor({ host: 'db2', port: 5433 })).toBe(`postgres://app:${SECRET}@db2:5433/orders?sslmode=disable`);
  });

  it('refuses an empty list, a bad port, or a key=value connection string', () => {
    expect(thrown(() => withHosts('postgres://u@h/db', [])).message).toMatch(/no host/);
    expect(thrown(() => withHosts('postgres://u@h/db', [{ host: 'db1', port: 70_000 }])).message).toMatch(/Invalid port/);
    expect(thrown(() => withHosts(`host=db password=${SECRET}`, [{ host: 'db1' }])).message).not.toContain(SECRET);
  });
});

describe('multi-host URLs elsewhere', () => {
  it('are valid store URLs (sagaflow worker --store postgres://…@h1,h2/db)', () => {
    expect(parseStoreUrl(`postgres://app:${SECRET}@db1:5432,db2:5432/orders`)).toEqual({
      kind: 'postgres',
      connectionString: `postgres://app:${SECRET}@db1:5432,db2:5432/orders`,
    });
    expect(thrown(() => parseStoreUrl(`postgres://app:${SECRET}@db1:5432,db2:x/orders`)).message).not.toContain(SECRET);
  });

  it('have their password redacted in errors, which name every host', () => {
    const url = `postgres://app:${SECRET}@db1:5432,db2:5433/orders`;
    expect(redactConnectionString(url)).toBe('postgres://app:***@db1:5432,db2:5433/orders');
    const error = unavailable(url, new Error('connect ECONNREFUSED'), 'appending');
    expect(error.message).not.toContain(SECRET);
    expect(error.message).toContain('one of db1:5432, db2:5433');
    expect(error.message).toContain('that one of them is the primary');
    expect(JSON.stringify(error.details)).not.toContain(SECRET);
  });
});
