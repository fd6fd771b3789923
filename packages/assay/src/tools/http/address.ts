/**
 * Which IP addresses an HTTP tool may connect to. `blockedReason(ip)` classifies an IPv4 or IPv6
 * address against a table of special-purpose ranges (IANA registries): loopback, private,
 * link-local (cloud metadata), unique-local, CGNAT, multicast, broadcast, documentation, reserved.
 * IPv6 forms that embed an IPv4 address (mapped ::ffff:a.b.c.d, SIIT ::ffff:0:a.b.c.d, the
 * deprecated compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by the embedded
 * address. Only global unicast (2000::/3 minus its special blocks) IPv6 is allowed.
 *
 * Inputs are canonical addresses (what DNS returns, or a hostname after `new URL()`, which already
 * turns 2130706433, 0x7f000001, 017700000001 and 127.1 into 127.0.0.1); a non-IP string is refused.
 */
import { isIPv4, isIPv6 } from 'node:net';

type V4Range = readonly [base: number, prefix: number, label: string];
type V6Range = readonly [base: bigint, prefix: number, label: string];

/** Refused IPv4 ranges, most specific first. */
const V4_BLOCKED: V4Range[] = [
  v4('0.0.0.0', 8, '"this network" (0.0.0.0/8)'),
  v4('10.0.0.0', 8, 'private (10.0.0.0/8)'),
  v4('100.64.0.0', 10, 'carrier-grade NAT (100.64.0.0/10)'),
  v4('127.0.0.0', 8, 'loopback (127.0.0.0/8)'),
  v4('169.254.0.0', 16, 'link-local (169.254.0.0/16, cloud metadata)'),
  v4('172.16.0.0', 12, 'private (172.16.0.0/12)'),
  v4('192.0.0.0', 24, 'reserved (IETF protocol assignments 192.0.0.0/24)'),
  v4('192.0.2.0', 24, 'documentation (192.0.2.0/24)'),
  v4('192.88.99.0', 24, 'reserved (6to4 relay anycast 192.88.99.0/24)'),
  v4('192.168.0.0', 16, 'private (192.168.0.0/16)'),
  v4('198.18.0.0', 15, 'benchmarking (198.18.0.0/15)'),
  v4('198.51.100.0', 24, 'documentation (198.51.100.0/24)'),
  v4('203.0.113.0', 24, 'documentation (203.0.113.0/24)'),
  v4('168.63.129.16', 32, 'cloud platform endpoint (Azure wireserver 168.63.129.16)'),
  v4('224.0.0.0', 4, 'multicast (224.0.0.0/4)'),
  v4('255.255.255.255', 32, 'broadcast (255.255.255.255)'),
  v4('240.0.0.0', 4, 'reserved (240.0.0.0/4)'),
];

/** Refused IPv6 ranges inside 2000::/3 or not covered by the embedded-IPv4 rules. */
const V6_BLOCKED: V6Range[] = [
  v6('::', 128, 'unspecified (::)'),
  v6('::1', 128, 'loopback (::1)'),
  v6('64:ff9b:1::', 48, 'local-use NAT64 (64:ff9b:1::/48)'),
  v6('100::', 64, 'discard-only (100::/64)'),
  v6('2001::', 23, 'reserved (IETF protocol assignments 2001::/23, incl. Teredo)'),
  v6('2001:db8::', 32, 'documentation (2001:db8::/32)'),
  v6('3fff::', 20, 'documentation (3fff::/20)'),
  v6('fc00::', 7, 'unique-local (fc00::/7)'),
  v6('fe80::', 10, 'link-local (fe80::/10)'),
  v6('fec0::', 10, 'site-local (fec0::/10, deprecated)'),
  v6('ff00::', 8, 'multicast (ff00::/8)'),
];

/** IPv6 prefixes whose last 32 bits (or bits 16..47 for 6to4) carry an IPv4 address. */
const V6_EMBEDDING: Array<readonly [base: bigint, prefix: number, label: string, shift: number]> = [
  [v6('::ffff:0:0', 96, '')[0], 96, 'IPv4-mapped', 0],
  [v6('::ffff:0:0:0', 96, '')[0], 96, 'IPv4-translated', 0],
  [v6('64:ff9b::', 96, '')[0], 96, 'NAT64', 0],
  [v6('2002::', 16, '')[0], 16, '6to4', 80],
];
const COMPAT: V6Range = v6('::', 96, 'IPv4-compatible');
const GLOBAL_UNICAST: V6Range = v6('2000::', 3, 'global unicast');

function v4(ip: string, prefix: number, label: string): V4Range {
  return [parseIPv4(ip)!, prefix, label];
}

function v6(ip: string, prefix: number, label: string): V6Range {
  return [parseIPv6(ip)!, prefix, label];
}

/** A dotted-quad IPv4 address as an unsigned 32-bit number, or null. */
export function parseIPv4(ip: string): number | null {
  if (!isIPv4(ip)) return null;
  const [a, b, c, d] = ip.split('.').map(Number);
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** An IPv6 address (brackets and a %zone allowed) as a 128-bit bigint, or null. */
export function parseIPv6(input: string): bigint | null {
  let ip = input.startsWith('[') && input.endsWith(']') ? input.slice(1, -1) : input;
  const zone = ip.indexOf('%');
  if (zone >= 0) ip = ip.slice(0, zone);
  if (!isIPv6(ip)) return null;
  const words: number[] = [];
  const parse = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const n = parseIPv4(g)!;
        out.push(n >>> 16, n & 0xffff);
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const gap = ip.indexOf('::');
  if (gap >= 0) {
    const head = parse(ip.slice(0, gap));
    const tail = parse(ip.slice(gap + 2));
    words.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  } else words.push(...parse(ip));
  return words.reduce((acc, w) => (acc << 16n) | BigInt(w), 0n);
}

function inV4(ip: number, [base, prefix]: V4Range): boolean {
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return ((ip & mask) >>> 0) === ((base & mask) >>> 0);
}

function inV6(ip: bigint, base: bigint, prefix: number): boolean {
  const shift = BigInt(128 - prefix);
  return ip >> shift === base >> shift;
}

function v4String(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function v4Reason(n: number): string | null {
  for (const range of V4_BLOCKED) if (inV4(n, range)) return range[2];
  return null;
}

/**
 * Why an address must not be connected to (e.g. `loopback (127.0.0.0/8)`), or null when it is a
 * public unicast address. Strings that are not IP addresses are refused as `not an IP address`.
 */
export function blockedReason(ip: string): string | null {
  const a = parseIPv4(ip);
  if (a !== null) return v4Reason(a);
  const b = parseIPv6(ip);
  if (b === null) return 'not an IP address';
  for (const [base, prefix, label, shift] of V6_EMBEDDING) {
    if (!inV6(b, base, prefix)) continue;
    const embedded = Number((b >> BigInt(shift)) & 0xffffffffn);
    const reason = v4Reason(embedded);
    return reason === null ? null : `${label} ${v4String(embedded)}: ${reason}`;
  }
  for (const [base, prefix, label] of V6_BLOCKED) if (inV6(b, base, prefix)) return label;
  if (inV6(b, COMPAT[0], COMPAT[1])) {
    const embedded = Number(b & 0xffffffffn);
    return `${COMPAT[2]} ${v4String(embedded)}: ${v4Reason(embedded) ?? 'deprecated form (::/96)'}`;
  }
  if (!inV6(b, GLOBAL_UNICAST[0], GLOBAL_UNICAST[1])) return 'reserved (outside global unicast 2000::/3)';
  return null;
}

/** True when `ip` is a public unicast address. */
export function isPublicAddress(ip: string): boolean {
  return blockedReason(ip) === null;
}
