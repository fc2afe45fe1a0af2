/**
 * Multi-host PostgreSQL URLs, libpq style: `postgres://user:pw@h1:5432,h2:5433/db`. `pg` 8
 * connects to one host only, so the store keeps the host list itself (primaryLocator.ts finds
 * the primary among them) and hands `pg` a single-host URL per connection: the same URL with
 * the host list replaced by one `host:port`.
 *
 * Pure: no I/O, no `pg` (store URL parsing uses it too). Errors never contain the password:
 * they show the hosts only.
 */
import { StoreUrlError } from '../../core/errors.js';

/** One server of a multi-host URL. */
export interface PostgresHost {
  host: string;
  port: number;
}

/** A connection string with several hosts. */
export interface HostList {
  hosts: readonly PostgresHost[];
  /** The connection string naming `host` alone (user, password, database and options kept). */
  urlFor(host: PostgresHost): string;
}

const DEFAULT_PORT = 5432;
const SCHEME = /^(postgres(?:ql)?:\/\/)(.*)$/is;

/** `host:port` as written in a URL (IPv6 in brackets). */
export function formatHost({ host, port }: PostgresHost): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The hosts for messages: `h1:5432, h2:5433`. */
export function describeHosts(hosts: readonly PostgresHost[]): string {
  return hosts.map(formatHost).join(', ');
}

interface UrlParts {
  /** `postgres://user:pw@` (or `postgres://`). */
  head: string;
  /** The host list as written: `h1:5432,h2:5433`. */
  hostPart: string;
  /** `/db?options` (may be empty). */
  tail: string;
}

/** Splits a URL around its host list. The user info ends at the last '@' before the query (passwords may hold unescaped '@'). */
function splitUrl(connectionString: string): UrlParts | undefined {
  const match = SCHEME.exec(connectionString.trim());
  if (!match) return undefined;
  const [, scheme = '', rest = ''] = match;
  const queryStart = rest.search(/[?#]/);
  const at = rest.lastIndexOf('@', queryStart < 0 ? rest.length : queryStart);
  const afterUser = rest.slice(at + 1);
  const hostEnd = afterUser.search(/[/?#]/);
  const hostPart = hostEnd < 0 ? afterUser : afterUser.slice(0, hostEnd);
  return { head: scheme + rest.slice(0, at + 1), hostPart, tail: hostEnd < 0 ? '' : afterUser.slice(hostEnd) };
}

/**
 * One `host[:port]` of the list. Errors name the host by its place, not its text: in a URL
 * whose password holds an unescaped '?' or '/', what looks like the host list is the password.
 */
function parseHost(text: string, place: number, count: number): PostgresHost {
  const bracketed = /^\[([^\]]+)\](?::(\d*))?$/.exec(text);
  const plain = /^([^:[\]]+)(?::(\d*))?$/.exec(text);
  const match = bracketed ?? plain;
  const where = `host ${place} of the ${count} in the PostgreSQL URL (not shown: it may hold a password)`;
  if (!match?.[1]) throw new StoreUrlError(`Malformed ${where}: expected host:port, e.g. postgres://user:password@db1:5432,db2:5432/database.`);
  const port = match[2] ? Number(match[2]) : DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new StoreUrlError(`Invalid port in ${where}: expected 1-65535.`);
  // Kept as written (percent-encoding included): it goes back into a URL as is.
  return { host: match[1], port };
}

/**
 * libpq's `target_session_attrs`: the store always needs the primary (`read-write`, or
 * `primary`), so those are accepted and dropped (pg does not know the parameter); anything
 * else is refused rather than silently ignored.
 */
function dropTargetSessionAttrs(tail: string, shown: string): string {
  const queryStart = tail.indexOf('?');
  if (queryStart < 0) return tail;
  const [query, fragment = ''] = tail.slice(queryStart + 1).split('#', 2) as [string, string?];
  const kept: string[] = [];
  for (const pair of query.split('&')) {
    const [key, value = ''] = pair.split('=', 2) as [string, string?];
    if (key !== 'target_session_attrs') {
      if (pair) kept.push(pair);
      continue;
    }
    if (value !== 'read-write' && value !== 'primary') {
      throw new StoreUrlError(
        `target_session_attrs=${value} is not supported in the PostgreSQL URL for ${shown}: the event store always writes, so it connects to the primary (read-write).`,
      );
    }
  }
  return `${tail.slice(0, queryStart)}${kept.length > 0 ? `?${kept.join('&')}` : ''}${fragment ? `#${fragment}` : ''}`;
}

/**
 * The host list of a multi-host URL, or undefined for anything else (a single-host URL, the
 * key=value form): those go to `pg` unchanged. Throws StoreUrlError for a malformed list.
 */
export function parseHostList(connectionString: string): HostList | undefined {
  const parts = splitUrl(connectionString);
  if (!parts?.hostPart.includes(',')) return undefined;
  const texts = parts.hostPart.split(',');
  const hosts = texts.map((text, i) => parseHost(text, i + 1, texts.length));
  const tail = dropTargetSessionAttrs(parts.tail, describeHosts(hosts));
  return { hosts, urlFor: (host) => `${parts.head}${formatHost(host)}${tail}` };
}

/**
 * The `hosts` option: the URL's user, password, database and options, with its host (or host
 * list) replaced by `hosts`. Needs the URL form (the key=value form has no host part to replace).
 */
export function withHosts(connectionString: string, hosts: readonly { host: string; port?: number }[]): HostList {
  const parts = splitUrl(connectionString);
  if (!parts)
    throw new StoreUrlError('The hosts option needs connectionString in the URL form postgres://user:password@host/database (its host part is replaced).');
  if (hosts.length === 0) throw new StoreUrlError('The hosts option lists no host.');
  const list = hosts.map(({ host, port = DEFAULT_PORT }) => {
    if (!host || /[\s,/?#@[\]]/.test(host)) throw new StoreUrlError(`Invalid host ${JSON.stringify(host)} in the hosts option.`);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new StoreUrlError(`Invalid port ${port} for host ${host} in the hosts option.`);
    return { host, port };
  });
  const tail = dropTargetSessionAttrs(parts.tail, describeHosts(list));
  return { hosts: list, urlFor: (host) => `${parts.head}${formatHost(host)}${tail}` };
}
