/**
 * Connection URLs: checked, assigned a client package (by scheme, unless the `client` option
 * says), rewritten for it, and redacted for messages.
 *
 * The URL goes to the client unchanged apart from the scheme, so every client option
 * (`tls`, `tlsCAFile`, `userCertFile`, `nodePreference`, `defaultDeadline`, credentials, several
 * hosts for gossip seeds...) passes through. The password never appears in a message or an
 * error: every text built from the URL or from a client error goes through `redact`.
 */
import { StoreUrlError } from '../../core/errors.js';
import { redactUrl } from '../storeUrl.js';
import { CLIENT_SCHEMES, type Credentials, type EsdbClientName } from './clientApi.js';

export interface EsdbConnection {
  /** The client package: by the scheme (`esdb` → eventstore, `kurrentdb` → kurrentdb), or as the `client` option says. */
  readonly client: EsdbClientName;
  /** What that client parses (the other client's scheme rewritten). */
  readonly clientUrl: string;
  /** The URL as given, with the password replaced by `***`: safe for logs and errors. */
  readonly redacted: string;
  /** False only with `tls=false`: the client defaults to TLS. */
  readonly tls: boolean;
  /** Cluster discovery through gossip (`+discover`, or several hosts). */
  readonly discover: boolean;
  readonly credentials: Credentials | undefined;
  /** Replaces the password (raw or percent-encoded) in any text with `***`. */
  redact(text: string): string;
}

const URL_SHAPE = /^(?<scheme>[A-Za-z][A-Za-z0-9+.-]*):\/\/(?:(?<user>[^:@/?]+):(?<password>[^@]+)@)?(?<rest>.*)$/s;

/**
 * Parses and checks a connection URL. Throws StoreUrlError (without the password) when it is
 * unusable. `client` overrides the client package the scheme selects.
 */
export function parseEsdbUrl(raw: string, client?: EsdbClientName): EsdbConnection {
  const text = typeof raw === 'string' ? raw.trim() : '';
  const match = URL_SHAPE.exec(text);
  const password = match?.groups?.password;
  const redacted = redactUrl(text);
  const redact = (value: string): string => redactSecret(value, text, redacted, password);
  if (match?.groups === undefined) {
    throw new StoreUrlError(
      `Invalid EventStoreDB URL ${JSON.stringify(redacted)}: expected esdb://host:2113?tls=false, esdb+discover://host:2113 or kurrentdb://host:2113.`,
      {
        details: { url: redacted },
      },
    );
  }
  if (client !== undefined && !Object.hasOwn(CLIENT_SCHEMES, client)) {
    throw new StoreUrlError(
      `Unknown EventStoreDB client ${JSON.stringify(client)}: use 'eventstore' (@eventstore/db-client) or 'kurrentdb' (@kurrent/kurrentdb-client).`,
      {
        details: { url: redacted },
      },
    );
  }
  const scheme = (match.groups.scheme ?? '').toLowerCase();
  const chosen = client ?? (Object.keys(CLIENT_SCHEMES) as EsdbClientName[]).find((name) => CLIENT_SCHEMES[name].own.includes(scheme));
  const schemes = chosen === undefined ? undefined : CLIENT_SCHEMES[chosen];
  const clientScheme = schemes === undefined ? undefined : schemes.own.includes(scheme) ? scheme : schemes.rewritten[scheme];
  if (chosen === undefined || clientScheme === undefined) {
    throw new StoreUrlError(
      `Unsupported scheme '${scheme}://' in EventStoreDB URL ${redacted}: use esdb:// (one node), esdb+discover:// (a cluster, through gossip) or their kurrentdb:// equivalents.`,
      { details: { url: redacted } },
    );
  }
  const rest = match.groups.rest ?? '';
  const hosts = (rest.split('?')[0] ?? '').replace(/\/+$/, '');
  if (hosts === '')
    throw new StoreUrlError(`EventStoreDB URL ${redacted} names no host: use e.g. esdb://localhost:2113?tls=false.`, { details: { url: redacted } });
  const query = new URLSearchParams(rest.includes('?') ? rest.slice(rest.indexOf('?') + 1) : '');
  const param = (name: string): string | undefined => [...query.entries()].find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
  if (param('throwOnAppendFailure')?.toLowerCase() === 'false') {
    throw new StoreUrlError(
      `EventStoreDB URL ${redacted} sets throwOnAppendFailure=false: remove it. sagaflow needs a wrong expected revision to fail the append.`,
      {
        details: { url: redacted },
      },
    );
  }
  const tlsParam = param('tls');
  const user = match.groups.user;
  return {
    client: chosen,
    clientUrl: clientScheme + text.slice(scheme.length),
    redacted,
    tls: tlsParam?.toLowerCase() !== 'false',
    discover: clientScheme.endsWith('+discover') || hosts.includes(','),
    credentials: user !== undefined && password !== undefined ? { username: safeDecode(user), password: safeDecode(password) } : undefined,
    redact,
  };
}

/**
 * Client errors may quote the URL or a piece of it (its parser does). Replacing every
 * occurrence of a very short password would garble messages, so those rely on the
 * whole-URL replacement alone.
 */
function redactSecret(text: string, url: string, redactedUrl: string, password: string | undefined): string {
  if (password === undefined) return text;
  // The client may quote the URL with its scheme rewritten (esdb:// for kurrentdb:// or the reverse).
  const tail = url.slice(url.indexOf('://'));
  let result = text.split(tail).join(redactedUrl.slice(redactedUrl.indexOf('://')));
  for (const form of new Set([password, safeDecode(password), encodeURIComponent(safeDecode(password))])) {
    if (form.length >= 4) result = result.split(form).join('***');
  }
  return result;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
