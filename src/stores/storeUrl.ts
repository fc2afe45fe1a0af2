/**
 * Store URLs: which adapter a URL names, and how to show a URL without its password.
 * Pure: no I/O besides resolving a relative SQLite path against the working directory.
 */
import { resolve } from 'node:path';
import { StoreUrlError } from '../core/errors.js';
import { parseHostList, type PostgresHost } from './postgres/hostList.js';

/** What a store URL names. */
export type StoreUrl =
  | { kind: 'memory' }
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; connectionString: string }
  | { kind: 'esdb'; connectionString: string };

/** The URL forms `createStore` accepts, for messages and `--help`. */
export const SUPPORTED_STORE_URLS = [
  'memory:',
  'sqlite:<path>',
  'postgres://…',
  'postgresql://…',
  'esdb://…',
  'esdb+discover://…',
  'kurrentdb://…',
  'kurrentdb+discover://…',
] as const;

const SCHEMES: Record<string, StoreUrl['kind']> = {
  memory: 'memory',
  sqlite: 'sqlite',
  postgres: 'postgres',
  postgresql: 'postgres',
  esdb: 'esdb',
  'esdb+discover': 'esdb',
  kurrentdb: 'esdb',
  'kurrentdb+discover': 'esdb',
};

/**
 * Parses a store URL. A `sqlite:` path is resolved against the working directory
 * (`sqlite:./.sagaflow/demo.db`, `sqlite:/var/lib/app.db`, and `sqlite:///var/lib/app.db`
 * are all accepted). PostgreSQL and EventStoreDB URLs are passed to their drivers unchanged.
 * Throws StoreUrlError, whose message never contains the URL's password.
 */
export function parseStoreUrl(url: string): StoreUrl {
  const match = typeof url === 'string' ? /^([a-z][a-z0-9+.-]*):(.*)$/is.exec(url.trim()) : null;
  const scheme = match?.[1]?.toLowerCase();
  const kind = scheme === undefined ? undefined : SCHEMES[scheme];
  if (!match || !kind) {
    // Only the scheme is shown: the rest of an unrecognised URL may hold a password.
    const shown = scheme === undefined ? (typeof url === 'string' && url.trim() === '' ? 'an empty string' : 'a value without a scheme') : `"${scheme}:"`;
    throw new StoreUrlError(`Unsupported store URL (${shown}): use one of ${SUPPORTED_STORE_URLS.join(', ')}.`, {
      details: { scheme, supported: SUPPORTED_STORE_URLS },
    });
  }
  const rest = match[2] ?? '';
  switch (kind) {
    case 'memory':
      if (rest !== '' && rest !== '//') throw new StoreUrlError(`A memory store URL takes nothing after "memory:" (got "memory:${rest}").`);
      return { kind };
    case 'sqlite': {
      const path = rest.startsWith('//') ? rest.slice(2) : rest;
      if (path === '') throw new StoreUrlError('A sqlite store URL needs a file path, e.g. sqlite:./.sagaflow/demo.db');
      return { kind, path: resolve(path) };
    }
    case 'postgres':
      // A multi-host URL (host1:5432,host2:5432) is no WHATWG URL: check it with one of its hosts.
      if (!URL.canParse(postgresUrlToCheck(url.trim())))
        throw new StoreUrlError(
          `Malformed PostgreSQL URL (${scheme}:…, not shown: it may hold a password): expected ${scheme}://user:password@host:port/database.`,
        );
      return { kind, connectionString: url.trim() };
    case 'esdb':
      // Not checked with URL(): multi-node connection strings (host1:2113,host2:2113) are not WHATWG URLs.
      if (!rest.startsWith('//') || rest.length <= 2)
        throw new StoreUrlError(`Malformed EventStoreDB URL (${scheme}:…, not shown: it may hold a password): expected ${scheme}://host:port.`);
      return { kind, connectionString: url.trim() };
  }
}

/** A PostgreSQL URL as a WHATWG URL can parse it: a multi-host URL with its first host only. */
function postgresUrlToCheck(url: string): string {
  const hostList = parseHostList(url);
  return hostList ? hostList.urlFor(hostList.hosts[0] as PostgresHost) : url;
}

/**
 * Replaces the password of a URL (user info, and any `password=` query parameter) with `***`,
 * for logs and error messages. Errs towards hiding too much when the URL is malformed.
 */
export function redactUrl(url: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/is.exec(url);
  let out = url;
  if (match) {
    const [, prefix = '', rest = ''] = match;
    // Passwords may contain unescaped '/' or '@': the user info ends at the last '@' before the query.
    const queryStart = rest.search(/[?#]/);
    const at = rest.lastIndexOf('@', queryStart < 0 ? rest.length : queryStart);
    const colon = rest.indexOf(':');
    if (at >= 0 && colon >= 0 && colon < at) out = `${prefix}${rest.slice(0, colon)}:***${rest.slice(at)}`;
  }
  return out.replace(/(password=)[^&#]*/gi, '$1***');
}
