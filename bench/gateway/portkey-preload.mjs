/**
 * Preloaded into the Portkey gateway process (node --import) by the benchmark.
 *
 * 1. Loopback guard, always: the benchmark only ever sends traffic to 127.0.0.1, so any `fetch` by
 *    the gateway to another host is refused (and counted on stderr) instead of leaving the machine.
 * 2. Header fix, unless BENCH_PORTKEY_FIX=0: @portkey-ai/gateway 1.15.2 declares
 *    "@hono/node-server": "^1.3.3", npm resolves 1.19.x, and with it every streaming chat completion
 *    fails ("TypeError: immutable" in ResponseService.updateHeaders, HTTP 500 "Something went wrong";
 *    Portkey issue #1389, with node-server > 1.14.2). Copying each upstream response into a Response
 *    with mutable headers (what node-server ≤ 1.14.2 effectively did) makes streaming work. It costs
 *    Portkey one extra Response object per upstream call.
 */
const realFetch = globalThis.fetch;
const RealResponse = globalThis.Response;
const fix = process.env.BENCH_PORTKEY_FIX !== '0';
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i;

globalThis.fetch = async function guardedFetch(input, init) {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  if (!LOOPBACK.test(url.hostname)) {
    process.stderr.write(`[bench preload] refused non-loopback fetch to ${url.origin}\n`);
    throw new TypeError(`benchmark: non-loopback fetch refused (${url.origin})`);
  }
  const res = await realFetch(input, init);
  if (!fix) return res;
  return new RealResponse(res.body, { status: res.status, statusText: res.statusText, headers: res.headers });
};
