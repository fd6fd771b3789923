/**
 * SSRF guard for HTTP tools. Two layers:
 * - `checkTarget(url, policy)` before each request and redirect hop: http/https only, no
 *   credentials in the URL, the host must match `allow_hosts`, and (unless `allow_private`)
 *   `localhost` names and literal IPs in refused ranges are rejected up front.
 * - `createSafeAgent(policy)`: an undici Agent whose connector resolves the name itself, refuses
 *   when ANY resolved address is in a refused range, and connects to exactly the checked address
 *   (the `lookup` handed to net/tls), so a DNS answer cannot change between check and connect.
 *   Literal IPs (which net.connect does not look up) are checked in the connector too.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { blockedReason } from './address.js';

/** A policy refusal: the tool returns it to the model as an error result (nothing was sent). */
export class RefusedError extends Error {
  readonly code = 'ERR_ASSAY_HTTP_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

/** One resolved address. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a hostname to all its addresses (default: the system resolver, like net.connect). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface AddressPolicy {
  allowPrivate: boolean;
  resolve?: Resolver;
}

/** `localhost`, `foo.localhost` (RFC 6761: always loopback). */
export function isLocalhostName(hostname: string): boolean {
  const h = stripDot(hostname.toLowerCase());
  return h === 'localhost' || h.endsWith('.localhost') || h === 'localhost.localdomain';
}

function stripDot(h: string): string {
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

function unbracket(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** Refuses an address outside public unicast (unless private addresses are allowed). */
export function checkAddress(hostname: string, address: string, allowPrivate: boolean): void {
  if (allowPrivate) return;
  const reason = blockedReason(address);
  if (reason === null) return;
  const what = unbracket(hostname) === address ? `address ${address}` : `${hostname} resolves to ${address}, which`;
  throw new RefusedError(`refused: ${what} is ${reason}; only public addresses are allowed (allow_private: true lifts this)`);
}

/**
 * A `lookup` for net.connect/tls.connect: resolves with `resolve`, refuses when any address is
 * refused, and answers with the checked addresses only (honouring `family` and `all`).
 */
export function createSafeLookup(policy: AddressPolicy): LookupFunction {
  const resolve = policy.resolve ?? systemResolver;
  return ((hostname: string, options: { family?: number | string; all?: boolean }, callback: (...a: unknown[]) => void) => {
    if (typeof options === 'function') {
      callback = options;
      options = {};
    }
    resolveChecked(hostname, policy.allowPrivate, resolve).then(
      (all) => {
        const fam = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family ?? 0);
        const list = fam === 4 || fam === 6 ? all.filter((a) => a.family === fam) : all;
        if (list.length === 0) {
          const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
          return callback(err);
        }
        if (options.all) callback(null, list);
        else callback(null, list[0].address, list[0].family);
      },
      (err) => callback(err),
    );
  }) as LookupFunction;
}

/** All addresses of `hostname`, after checking every one of them. */
export async function resolveChecked(hostname: string, allowPrivate: boolean, resolve: Resolver = systemResolver): Promise<ResolvedAddress[]> {
  if (!allowPrivate && isLocalhostName(hostname)) throw new RefusedError(`refused: ${hostname} is a loopback name; only public addresses are allowed (allow_private: true lifts this)`);
  const literal = unbracket(hostname);
  if (isIP(literal)) {
    checkAddress(hostname, literal, allowPrivate);
    return [{ address: literal, family: isIP(literal) }];
  }
  const all = await resolve(hostname);
  for (const a of all) checkAddress(hostname, a.address, allowPrivate);
  return all;
}

export interface SafeAgentOptions extends AddressPolicy {
  /** Milliseconds to establish a connection (the tool's own timeout still applies). */
  connectTimeoutMs?: number;
}

/** An undici Agent that only ever connects to addresses that passed the check. */
export function createSafeAgent(opts: SafeAgentOptions): Agent {
  const lookup = createSafeLookup(opts);
  const base = buildConnector({ lookup, timeout: opts.connectTimeoutMs ?? 10_000 } as buildConnector.BuildOptions);
  const connect: buildConnector.connector = (options, callback) => {
    const host = unbracket(options.hostname);
    if (isIP(host)) {
      try {
        checkAddress(options.hostname, host, opts.allowPrivate);
      } catch (err) {
        return callback(err as Error, null);
      }
    }
    return base(options, callback);
  };
  return new Agent({ connect, keepAliveTimeout: 10_000, headersTimeout: 0, bodyTimeout: 0 });
}

/** A parsed allow_hosts entry: `api.example.com`, `*.example.com`, `*`, each optionally `:port`. */
export interface HostPattern {
  host: string;
  wildcard: boolean;
  port: string | null;
}

/** Parses an allow_hosts entry; throws with a precise message when it is not a host pattern. */
export function parseHostPattern(pattern: string): HostPattern {
  const p = pattern.trim().toLowerCase();
  if (p === '*') return { host: '*', wildcard: true, port: null };
  const wildcard = p.startsWith('*.');
  const rest = wildcard ? p.slice(2) : p;
  let url: URL;
  try {
    url = new URL(`http://${rest}/`);
  } catch {
    throw new Error(`"${pattern}" is not a host name (use api.example.com, *.example.com or host:port)`);
  }
  if (url.username || url.password || url.pathname !== '/' || url.search || rest.includes('*') || rest.includes('/')) {
    throw new Error(`"${pattern}" is not a host name (use api.example.com, *.example.com or host:port)`);
  }
  const explicitPort = /:(\d+)$/.exec(rest)?.[1] ?? null;
  return { host: stripDot(url.hostname), wildcard, port: explicitPort === null ? null : String(Number(explicitPort)) };
}

/** Whether a URL's host (and port, when the pattern names one) is allowed. */
export function hostAllowed(url: URL, patterns: readonly HostPattern[]): boolean {
  const host = stripDot(url.hostname.toLowerCase());
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return patterns.some((p) => {
    if (p.port !== null && p.port !== port) return false;
    if (p.host === '*') return true;
    return p.wildcard ? host.endsWith(`.${p.host}`) : host === p.host;
  });
}

/** The pre-flight check of one request or redirect hop. Throws RefusedError. */
export function checkTarget(url: URL, patterns: readonly HostPattern[], allowPrivate: boolean): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RefusedError(`refused: ${url.protocol.slice(0, -1)}: URLs are not allowed (only http and https)`);
  }
  if (url.username || url.password) throw new RefusedError('refused: URLs with credentials (user:password@) are not allowed');
  if (!hostAllowed(url, patterns)) {
    const allowed = patterns.map((p) => (p.wildcard && p.host !== '*' ? `*.${p.host}` : p.host) + (p.port ? `:${p.port}` : '')).join(', ');
    throw new RefusedError(`refused: host ${url.host} is not in allow_hosts (${allowed})`);
  }
  if (allowPrivate) return;
  if (isLocalhostName(url.hostname)) throw new RefusedError(`refused: ${url.hostname} is a loopback name; only public addresses are allowed (allow_private: true lifts this)`);
  const literal = unbracket(url.hostname);
  if (isIP(literal)) checkAddress(url.hostname, literal, false);
}

/** The RefusedError somewhere in an error's cause chain (undici wraps connector errors). */
export function findRefusal(err: unknown): RefusedError | null {
  for (let e = err, i = 0; e && i < 8; e = (e as { cause?: unknown }).cause, i++) {
    if (e instanceof RefusedError) return e;
  }
  return null;
}

const agents = new Map<boolean, Agent>();

/** The process-wide safe agent for the system resolver (one per allow_private setting). */
export function sharedSafeAgent(allowPrivate: boolean): Agent {
  let agent = agents.get(allowPrivate);
  if (!agent) {
    agent = createSafeAgent({ allowPrivate });
    agents.set(allowPrivate, agent);
  }
  return agent;
}
