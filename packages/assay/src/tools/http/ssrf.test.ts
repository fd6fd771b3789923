/**
 * The SSRF guard without network: the address table (every refused form and some public
 * addresses), URL normalization of odd IPv4 literals, allow_hosts patterns, the safe lookup with a
 * fake resolver, and the safe agent refusing literal IPs before connecting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { blockedReason, parseIPv6 } from './address.js';
import {
  checkTarget,
  createSafeAgent,
  createSafeLookup,
  findRefusal,
  hostAllowed,
  isLocalhostName,
  parseHostPattern,
  RefusedError,
  resolveChecked,
  type Resolver,
} from './ssrf.js';

const REFUSED: Array<[string, RegExp]> = [
  ['127.0.0.1', /loopback/],
  ['127.255.255.254', /loopback/],
  ['10.0.0.1', /private/],
  ['172.16.0.1', /private/],
  ['172.31.255.255', /private/],
  ['192.168.1.1', /private/],
  ['169.254.169.254', /link-local.*metadata/],
  ['100.64.0.1', /carrier-grade NAT/],
  ['100.127.255.255', /carrier-grade NAT/],
  ['0.0.0.0', /this network/],
  ['0.1.2.3', /this network/],
  ['224.0.0.1', /multicast/],
  ['239.255.255.250', /multicast/],
  ['255.255.255.255', /broadcast/],
  ['240.0.0.1', /reserved/],
  ['192.0.2.10', /documentation/],
  ['198.18.0.1', /benchmarking/],
  ['192.0.0.192', /reserved/],
  ['::1', /loopback/],
  ['::', /unspecified/],
  ['fe80::1', /link-local/],
  ['fe80::1%eth0', /link-local/],
  ['fc00::1', /unique-local/],
  ['fd00:ec2::254', /unique-local/],
  ['ff02::1', /multicast/],
  ['::ffff:127.0.0.1', /IPv4-mapped 127\.0\.0\.1: loopback/],
  ['::ffff:7f00:1', /IPv4-mapped 127\.0\.0\.1: loopback/],
  ['::ffff:169.254.169.254', /IPv4-mapped 169\.254\.169\.254: link-local/],
  ['::ffff:10.0.0.1', /IPv4-mapped 10\.0\.0\.1: private/],
  ['::ffff:0:127.0.0.1', /IPv4-translated 127\.0\.0\.1/],
  ['::127.0.0.1', /IPv4-compatible 127\.0\.0\.1: loopback/],
  ['::8.8.8.8', /IPv4-compatible 8\.8\.8\.8: deprecated/],
  ['64:ff9b::127.0.0.1', /NAT64 127\.0\.0\.1: loopback/],
  ['64:ff9b::a9fe:a9fe', /NAT64 169\.254\.169\.254: link-local/],
  ['64:ff9b:1::1', /local-use NAT64/],
  ['2002:7f00:1::1', /6to4 127\.0\.0\.1: loopback/],
  ['2002:c0a8:101::', /6to4 192\.168\.1\.1: private/],
  ['2001:db8::1', /documentation/],
  ['2001::1', /Teredo/],
  ['100::1', /discard/],
  ['fec0::1', /site-local/],
  ['4000::1', /outside global unicast/],
  ['[::1]', /loopback/],
  ['localhost', /not an IP address/],
  ['', /not an IP address/],
];

const PUBLIC = ['8.8.8.8', '1.1.1.1', '93.184.216.34', '100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0', '192.169.0.1', '2606:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'];

test('the address table refuses every special-purpose form', () => {
  for (const [ip, reason] of REFUSED) {
    const r = blockedReason(ip);
    assert.ok(r, `${ip} should be refused`);
    assert.match(r, reason, `${ip}: ${r}`);
  }
});

test('public unicast addresses are allowed', () => {
  for (const ip of PUBLIC) assert.equal(blockedReason(ip), null, ip);
});

test('IPv6 parsing handles ::, embedded IPv4 and zones', () => {
  assert.equal(parseIPv6('::1'), 1n);
  assert.equal(parseIPv6('::ffff:1.2.3.4'), (0xffffn << 32n) | 0x01020304n);
  assert.equal(parseIPv6('1::'), 1n << 112n);
  assert.equal(parseIPv6('1:2:3:4:5:6:7:8'), 0x00010002000300040005000600070008n);
  assert.equal(parseIPv6('nope'), null);
});

test('odd IPv4 literals are normalized by URL and refused', () => {
  const any = [parseHostPattern('*')];
  for (const host of ['2130706433', '0x7f000001', '017700000001', '127.1', '0177.0.0.1', '127.0.0.1.', '0x7f.1', '[::ffff:127.0.0.1]', '[::1]', '[0:0:0:0:0:ffff:7f00:1]', '0', '169.254.169.254', '[::ffff:a9fe:a9fe]', '2852039166']) {
    const url = new URL(`http://${host}/x`);
    assert.throws(() => checkTarget(url, any, false), (err: unknown) => err instanceof RefusedError && /refused: address .* is /.test(err.message), host);
    assert.doesNotThrow(() => checkTarget(url, any, true), host);
  }
});

test('localhost names are refused before any lookup', () => {
  const any = [parseHostPattern('*')];
  for (const host of ['localhost', 'LOCALHOST', 'localhost.', 'api.localhost', 'localhost.localdomain']) {
    assert.equal(isLocalhostName(new URL(`http://${host}/`).hostname), true, host);
    assert.throws(() => checkTarget(new URL(`http://${host}:8080/`), any, false), /loopback name/);
  }
  assert.equal(isLocalhostName('notlocalhost.com'), false);
});

test('checkTarget: schemes, credentials and allow_hosts', () => {
  const patterns = ['api.example.com', '*.example.org', 'internal.test:8443'].map(parseHostPattern);
  const ok = (u: string) => assert.doesNotThrow(() => checkTarget(new URL(u), patterns, false), u);
  const refused = (u: string, re: RegExp) => assert.throws(() => checkTarget(new URL(u), patterns, false), re, u);
  ok('https://api.example.com/v1');
  ok('https://API.Example.COM./v1');
  ok('http://a.b.example.org/');
  ok('https://internal.test:8443/');
  refused('https://example.org/', /not in allow_hosts/);
  refused('https://api.example.com.evil.net/', /not in allow_hosts/);
  refused('https://evilexample.org/', /not in allow_hosts/);
  refused('https://internal.test/', /host internal\.test is not in allow_hosts \(api\.example\.com, \*\.example\.org, internal\.test:8443\)/);
  refused('ftp://api.example.com/', /ftp: URLs are not allowed/);
  refused('file:///etc/passwd', /file: URLs are not allowed/);
  refused('https://user:pw@api.example.com/', /credentials/);
  assert.throws(() => parseHostPattern('https://x.com/path'), /not a host name/);
  assert.throws(() => parseHostPattern('a*.example.com'), /not a host name/);
  assert.equal(hostAllowed(new URL('http://127.0.0.1:9/'), [parseHostPattern('2130706433')]), true);
});

const fake =
  (table: Record<string, string[]>): Resolver =>
  async (hostname) => {
    const list = table[hostname];
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

const resolver = fake({
  'public.test': ['93.184.216.34', '2606:4700::1111'],
  'mixed.test': ['93.184.216.34', '10.0.0.7'],
  'metadata.test': ['169.254.169.254'],
  'mapped.test': ['::ffff:127.0.0.1'],
  'nat64.test': ['64:ff9b::7f00:1'],
});

function lookupOnce(name: string, options: object, allowPrivate = false): Promise<unknown[]> {
  const lookup = createSafeLookup({ allowPrivate, resolve: resolver });
  return new Promise((res) => (lookup as (...a: unknown[]) => void)(name, options, (...a: unknown[]) => res(a)));
}

test('the safe lookup refuses when ANY resolved address is refused', async () => {
  for (const [name, re] of [['mixed.test', /mixed\.test resolves to 10\.0\.0\.7, which is private/], ['metadata.test', /link-local/], ['mapped.test', /IPv4-mapped/], ['nat64.test', /NAT64/]] as const) {
    const [err] = await lookupOnce(name, { all: true });
    assert.ok(err instanceof RefusedError, name);
    assert.match((err as Error).message, re);
  }
  const [err] = await lookupOnce('localhost', {});
  assert.match((err as Error).message, /loopback name/);
  await assert.rejects(resolveChecked('mixed.test', false, resolver), RefusedError);
  assert.equal((await resolveChecked('mixed.test', true, resolver)).length, 2);
});

test('the safe lookup answers with the checked addresses (all, family, single)', async () => {
  assert.deepEqual(await lookupOnce('public.test', { all: true }), [null, [{ address: '93.184.216.34', family: 4 }, { address: '2606:4700::1111', family: 6 }]]);
  assert.deepEqual(await lookupOnce('public.test', { family: 6 }), [null, '2606:4700::1111', 6]);
  assert.deepEqual(await lookupOnce('public.test', {}), [null, '93.184.216.34', 4]);
  assert.deepEqual(await lookupOnce('mixed.test', { all: true }, true), [null, [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.7', family: 4 }]]);
  const [err] = await lookupOnce('nowhere.test', {});
  assert.equal((err as { code?: string }).code, 'ENOTFOUND');
});

test('the safe agent refuses literal and resolved private addresses at connect time', async () => {
  const agent = createSafeAgent({ allowPrivate: false, resolve: resolver });
  try {
    for (const url of ['http://127.0.0.1:1/', 'http://[::1]:1/', 'http://169.254.169.254/latest/meta-data/', 'http://metadata.test/', 'https://mixed.test/']) {
      const err = await request(url, { dispatcher: agent }).then(() => null, (e: unknown) => e);
      const refusal = findRefusal(err);
      assert.ok(refusal, `${url}: ${String(err)}`);
    }
  } finally {
    await agent.close();
  }
});
