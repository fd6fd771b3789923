/**
 * The hostile-input corpus (test/helpers/hostile.ts) sent to every surface — the model API, OTLP
 * (JSON and protobuf, gzip bombs), Langfuse ingestion, /api writes and end-user feedback — on
 * SQLite and PostgreSQL: fixed cases, then fast-check mixes. Asserted: never a 5xx, /health keeps
 * answering within 1 s throughout (a liveness bound, polled alongside), and afterwards every
 * accepted call's trace is stored and readable through GET /api/traces/:id.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { ADMIN_KEY, startAssay, type TestAssay } from './helpers/assay.js';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { FIXED_VALUES, RAW_BODIES, deepProtobuf, gzipBomb, hostileJson, surfaces, type KeyName, type Sent, type Surface } from './helpers/hostile.js';
import { storeKinds } from './helpers/stores.js';

const BODY_LIMIT = 4 * 1024 * 1024;
const HEALTH_BOUND_MS = 1_000;
const RUNS_PER_SURFACE = 25;
/** HOSTILE_SEED=<n> repeats a fast-check run (the seed is in the failure message). */
const SEED = Number(process.env.HOSTILE_SEED ?? Date.now() % 2 ** 31);

/** What the corpus is sending right now, named in a slow /health report. */
let inFlight = 'nothing';

/** Polls /health until stopped; remembers every answer slower than the bound or not 200. */
function watchHealth(url: string) {
  const problems: string[] = [];
  let polls = 0;
  let slowestMs = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(10_000) }).catch((err: Error) => ({ status: err.name }) as const);
      const ms = performance.now() - t0;
      polls++;
      slowestMs = Math.max(slowestMs, ms);
      if (res.status !== 200 || ms > HEALTH_BOUND_MS) problems.push(`/health ${res.status} after ${Math.round(ms)} ms, during ${inFlight.slice(0, 200)}`);
      if (res instanceof Response) await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  return {
    problems,
    get polls() {
      return polls;
    },
    get slowestMs() {
      return Math.round(slowestMs);
    },
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

for (const kind of storeKinds) {
  describe(`hostile input on ${kind.name}`, { skip: kind.skip }, () => {
    let up: FakeOpenAI;
    let assay: TestAssay;
    let store: ReturnType<(typeof kind)['make']>;
    let health: ReturnType<typeof watchHealth>;
    const keys: Record<KeyName, string> = { admin: ADMIN_KEY, model: '', ingest: '', feedback: '' };
    const accepted: { surface: string; traceId: string; what: string }[] = [];
    const serverErrors: string[] = [];
    let deepProto: [number, Buffer][] = [];

    before(async () => {
      store = kind.make();
      up = await startFakeOpenAI();
      assay = await startAssay(
        {
          providers: [{ id: 'up', type: 'openai', base_url: up.url }],
          limits: { max_body_bytes: BODY_LIMIT },
          ingest: { max_body_bytes: BODY_LIMIT },
          feedback: { rate_per_minute: 100_000 },
        },
        { databaseUrl: store.url },
      );
      for (const scope of ['model', 'ingest', 'feedback'] as const) {
        const res = await assay.post('/api/keys', { name: `hostile ${scope}`, scopes: [scope] });
        assert.equal(res.status, 201);
        keys[scope] = ((await res.json()) as { key: string }).key;
      }
      assert.equal((await assay.post('/api/datasets', { name: 'hostile' })).status, 201);
      deepProto = [40, 6_000].map((levels) => [levels, deepProtobuf(levels, randomBytes(16).toString('hex'))]);
      health = watchHealth(assay.url);
    });
    after(async () => {
      await health?.stop();
      await assay?.stop();
      await up?.close();
      await store?.cleanup();
    });

    /** Sends one body; a 5xx is remembered (with what was sent), an accepted trace is kept for the read-back. */
    async function send(s: Surface, sent: Sent, what: string): Promise<number> {
      inFlight = `${s.name} ← ${what}`;
      const res = await fetch(assay.url + (sent.path ?? s.path), {
        method: s.method,
        headers: { authorization: `Bearer ${keys[s.key]}`, ...sent.headers },
        body: sent.body,
      });
      const text = await res.text();
      if (res.status >= 500) serverErrors.push(`${s.name} ← ${what}: ${res.status} ${text.slice(0, 200)}`);
      else if (res.status < 300) {
        const traceId = s.acceptedTrace?.(res, text, sent);
        if (traceId) accepted.push({ surface: s.name, traceId, what });
      }
      return res.status;
    }

    test('fixed cases: every hostile value in every slot of every surface, never a 5xx', async () => {
      serverErrors.length = 0;
      for (const s of surfaces()) {
        for (const [name, h] of FIXED_VALUES) {
          for (let slot = 0; slot < s.slots; slot++) await send(s, s.build(h, slot), `${name} in slot ${slot}`);
        }
        if (s.method === 'POST') for (const [name, raw] of RAW_BODIES) await send(s, { body: raw, headers: s.build('1', 0).headers }, name);
      }
      assert.deepEqual(serverErrors, []);
    });

    test('gzip bombs, bad encodings and deep protobuf to OTLP are refused with a 4xx', async () => {
      serverErrors.length = 0;
      const otlp = surfaces().filter((s) => s.name.startsWith('otlp'));
      const bomb = gzipBomb(1024);
      for (const s of otlp) {
        const type = s.build('1', 0).headers!;
        assert.equal(await send(s, { body: bomb, headers: { ...type, 'content-encoding': 'gzip' } }, 'gzip bomb (1 GiB)'), 413);
        assert.equal(await send(s, { body: bomb, headers: { ...type, 'content-encoding': 'deflate' } }, 'gzip bomb as deflate'), 400);
        assert.equal(await send(s, { body: Buffer.from('not gzip'), headers: { ...type, 'content-encoding': 'gzip' } }, 'not gzip'), 400);
        assert.equal(await send(s, { body: Buffer.from('{}'), headers: { ...type, 'content-encoding': 'br' } }, 'brotli'), 415);
      }
      const proto = otlp.find((s) => s.name === 'otlp protobuf')!;
      for (const [levels, body] of deepProto) {
        const status = await send(proto, { body, headers: { 'content-type': 'application/x-protobuf' } }, `protobuf attribute ${levels} levels deep`);
        assert.equal(status, 400, `protobuf attribute ${levels} levels deep`);
      }
      // Surfaces that take no compressed bodies answer a 4xx to one, never try to parse it as JSON text.
      for (const s of surfaces().filter((x) => !x.name.startsWith('otlp') && x.method === 'POST')) {
        const status = await send(s, { body: bomb.subarray(0, 64 * 1024), headers: { ...s.build('1', 0).headers, 'content-encoding': 'gzip' } }, 'gzip body');
        assert.ok(status >= 400 && status < 500, `${s.name}: ${status}`);
      }
      assert.deepEqual(serverErrors, []);
    });

    test('fast-check: mixed hostile JSON in random slots of every surface, never a 5xx', async () => {
      serverErrors.length = 0;
      for (const [i, s] of surfaces().entries()) {
        // Every run is sent (no shrinking of deep values): the 5xx answers are listed below with what was sent.
        await fc.assert(
          fc.asyncProperty(hostileJson, fc.nat(7), async (h, slot) => {
            await send(s, s.build(h, slot), `fast-check value in slot ${slot}: ${h.slice(0, 300)}`);
          }),
          { numRuns: RUNS_PER_SURFACE, seed: SEED + i },
        );
      }
      assert.deepEqual(serverErrors, [], `fast-check with HOSTILE_SEED=${SEED}`);
    });

    test('afterwards: a free-text search over the stored corpus answers without a 5xx', async () => {
      await assay.flush();
      const res = await assay.api(`/api/traces?q=${encodeURIComponent('no such text')}`);
      const text = await res.text();
      assert.ok(res.status < 500, `GET /api/traces?q=… → ${res.status} ${text.slice(0, 300)}`);
    });

    test('afterwards: every accepted call has its trace stored and readable; /health answered within 1 s throughout', async (t) => {
      await assay.flush();
      const unreadable: string[] = [];
      for (const a of accepted) {
        const res = await assay.api(`/api/traces/${encodeURIComponent(a.traceId)}`);
        const text = await res.text();
        if (res.status !== 200) unreadable.push(`${a.surface} ← ${a.what.slice(0, 120)}: trace ${a.traceId} → ${res.status} ${text.slice(0, 160)}`);
      }
      assert.ok(accepted.length > 50, `the corpus had accepted calls to check (${accepted.length})`);
      assert.deepEqual(unreadable, []);
      await health.stop();
      assert.ok(health.polls > 10, `health was polled throughout (${health.polls} polls)`);
      t.diagnostic(`${accepted.length} accepted calls read back; /health polled ${health.polls} times, slowest ${health.slowestMs} ms`);
      assert.deepEqual(health.problems, []);
    });
  });
}
