/**
 * A trace path no input can poison (issue 14): a lone surrogate in a chat message, metadata nested
 * 50,000 levels deep, NUL and huge values, sent to /v1 and to Langfuse ingest on SQLite and
 * PostgreSQL. Each call's trace is stored with a visible marker, the next normal call's trace is
 * written, /health's `written` grows; a row the database refuses even alone (on PostgreSQL, an id
 * longer than a btree index entry) is set aside as a dead letter and its batch-mates are written.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { startAssay, expectJson, type TestAssay } from './helpers/assay.js';
import { storeKinds, type TestStore } from './helpers/stores.js';

type Obs = Record<string, any>;
const basic = (pub: string, secret: string) => `Basic ${Buffer.from(`${pub}:${secret}`).toString('base64')}`;
const deepJson = (levels: number) => `${'{"a":'.repeat(levels)}"bottom"${'}'.repeat(levels)}`;

for (const kind of storeKinds) {
  describe(`trace path under hostile input (${kind.name})`, { skip: kind.skip }, () => {
    let store: TestStore;
    let up: FakeOpenAI;
    let assay: TestAssay;

    before(async () => {
      store = kind.make();
      up = await startFakeOpenAI();
      assay = await startAssay({ providers: [{ id: 'up', type: 'openai', base_url: up.url }] }, { databaseUrl: store.url });
    });
    after(async () => {
      await assay?.stop();
      await up?.close();
      await store?.cleanup();
    });

    const chat = (body: string) => assay.api('/v1/chat/completions', { method: 'POST', body });
    const health = async () => (await expectJson<{ traces: Record<string, any> }>(await fetch(`${assay.url}/health`), 200)).traces;
    const root = async (traceId: string): Promise<Obs> => {
      const t = await expectJson<{ observations: Obs[] }>(await assay.api(`/api/traces/${traceId}`), 200);
      return t.observations.find((o) => o.parent_id === null)!;
    };
    const normalCallIsTraced = async () => {
      const before = (await health()).written;
      const res = await chat(JSON.stringify({ model: 'up/m', messages: [{ role: 'user', content: 'normal' }] }));
      await expectJson(res, 200);
      await assay.flush();
      assert.equal((await root(res.headers.get('x-assay-trace-id')!)).input.messages[0].content, 'normal');
      const after = await health();
      assert.ok(after.written > before, `written grew: ${before} → ${after.written}`);
      assert.equal(after.queued, 0);
    };

    test('a lone surrogate and a NUL in a chat message: the trace is stored with U+FFFD, later traces still are', async () => {
      const res = await chat(JSON.stringify({ model: 'up/m', messages: [{ role: 'user', content: 'half an emoji \ud83d and a \u0000 NUL' }] }));
      await expectJson(res, 200);
      await assay.flush();
      const o = await root(res.headers.get('x-assay-trace-id')!);
      assert.equal(o.input.messages[0].content, 'half an emoji \uFFFD and a \uFFFD NUL');
      assert.ok((await health()).repaired >= 2);
      await normalCallIsTraced();
    });

    test('metadata nested 50,000 levels deep (a 400): its trace is stored, later traces still are', async () => {
      const res = await chat(`{"model":"up/m","messages":[{"role":"user","content":"deep"}],"metadata":${deepJson(50_000)}}`);
      assert.equal(res.status, 400);
      await res.text();
      await assay.flush();
      assert.equal((await root(res.headers.get('x-assay-trace-id')!)).status, 'error');
      await normalCallIsTraced();
    });

    test('metadata nested deeper than tracing.max_depth (200 levels, within what /v1 parses): stored with a depth marker', async () => {
      const res = await chat(`{"model":"up/m","messages":[{"role":"user","content":"deep"}],"metadata":${deepJson(200)}}`);
      assert.equal(res.status, 400); // metadata values must be strings; the refused call is still traced
      await res.text();
      await assay.flush();
      const o = await root(res.headers.get('x-assay-trace-id')!);
      assert.match(JSON.stringify(o.metadata), /\[truncated: nested deeper than 64 levels\]/);
      assert.ok((await health()).truncated >= 1);
      await normalCallIsTraced();
    });

    test('a gateway span the database refuses alone (PostgreSQL: a user id too big for its index) is a dead letter; its batch-mates are written', async () => {
      const bigUser = Array.from({ length: 1_000 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7_919) % 20_000))).join('');
      const before = await health();
      const res = await chat(JSON.stringify({ model: 'up/m', user: bigUser, messages: [{ role: 'user', content: 'who am I' }] }));
      assert.equal(res.status, 200);
      await res.text();
      const traceId = res.headers.get('x-assay-trace-id')!;
      await assay.flush();
      const after = await health();
      assert.equal(after.queued, 0, 'nothing stuck in the queue');
      const letters = (await expectJson<{ data: Obs[] }>(await assay.api('/api/trace-dead-letters'), 200)).data.filter((l) => l.trace_id === traceId);
      if (kind.name === 'postgres') {
        assert.equal(letters.length, 1, 'the root span, refused by the user_id index, is set aside');
        assert.equal(letters[0].source, 'gateway');
        assert.equal(letters[0].payload.input.messages[0].content, 'who am I');
        assert.equal(after.set_aside, before.set_aside + 1);
        const t = await expectJson<{ observations: Obs[] }>(await assay.api(`/api/traces/${traceId}`), 200);
        assert.ok(t.observations.length >= 1 && t.observations.every((o) => o.parent_id !== null), 'its attempt span is written');
      } else {
        assert.deepEqual(letters, []);
      }
      await normalCallIsTraced();
    });

    test('OTLP: a span the database refuses alone is reported in partialSuccess and set aside; the other spans are written', async () => {
      const key = await expectJson<{ id: string; key: string }>(await assay.post('/api/keys', { name: 'otlp', scopes: ['ingest'] }), 201);
      const bigUser = Array.from({ length: 1_000 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7_919) % 20_000))).join('');
      const now = Date.now() * 1e6;
      const span = (traceId: string, spanId: string, parentSpanId?: string, attributes: unknown[] = []) => ({
        traceId, spanId, parentSpanId, name: 'op', startTimeUnixNano: String(now), endTimeUnixNano: String(now + 1e6), attributes,
      });
      const [a, b] = ['a'.repeat(32), 'b'.repeat(32)];
      const spans = [span(a, 'a000000000000001', undefined, [{ key: 'user.id', value: { stringValue: bigUser } }]), span(a, 'a000000000000002', 'a000000000000001'), span(b, 'b000000000000001')];
      const res = await fetch(`${assay.url}/v1/traces`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }),
      });
      const out = await expectJson<{ partialSuccess?: { rejectedSpans: string; errorMessage: string } }>(res, 200);
      const ids = async (traceId: string) => {
        const r = await assay.api(`/api/traces/${traceId}`);
        return r.status === 200 ? ((await r.json()) as { observations: Obs[] }).observations.map((o) => o.id) : ((await r.text()), []);
      };
      assert.deepEqual(await ids(b), ['b000000000000001']);
      if (kind.name === 'postgres') {
        assert.equal(out.partialSuccess?.rejectedSpans, '1');
        assert.match(out.partialSuccess!.errorMessage, /span a000000000000001: .*dead letter/);
        assert.deepEqual(await ids(a), ['a000000000000002']);
        const letters = (await expectJson<{ data: Obs[] }>(await assay.api('/api/trace-dead-letters'), 200)).data.filter((l) => l.source === 'otlp');
        assert.deepEqual(letters.map((l) => l.row_id), ['a000000000000001']);
      } else {
        assert.equal(out.partialSuccess, undefined);
        assert.equal((await ids(a)).length, 2);
      }
    });

    test('Langfuse ingest of hostile observations: stored cleaned; a row the database refuses alone is a dead letter, the rest is written', async () => {
      const key = await expectJson<{ id: string; key: string }>(await assay.post('/api/keys', { name: 'lf', scopes: ['ingest'] }), 201);
      const ts = new Date().toISOString();
      // 1,000 characters of 3 bytes each, not compressible: more than a PostgreSQL btree entry holds (2,704 bytes).
      const longUser = Array.from({ length: 1_000 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7_919) % 20_000))).join('');
      const body = `{"batch":[
        {"id":"e1","type":"trace-create","timestamp":"${ts}","body":{"id":"hostile-t","name":"h\\ud800"}},
        {"id":"e2","type":"span-create","timestamp":"${ts}","body":{"id":"deep-s","traceId":"hostile-t","metadata":${deepJson(200)}}},
        {"id":"e5","type":"span-create","timestamp":"${ts}","body":{"id":"deeper-s","traceId":"hostile-t","metadata":${deepJson(50_000)}}},
        {"id":"e3","type":"trace-create","timestamp":"${ts}","body":{"id":"big-user-t","userId":"${longUser}","input":"a user id too long for an index"}},
        {"id":"e4","type":"span-create","timestamp":"${ts}","body":{"id":"fine-s","traceId":"hostile-t","input":"a\\u0000b"}},
        {"id":"e6","type":"generation-create","timestamp":"${ts}","body":{"id":"huge-g","traceId":"hostile-t","usageDetails":{"input":5000000000,"output":1.5}}}]}`;
      const res = await fetch(`${assay.url}/api/public/ingestion`, {
        method: 'POST',
        headers: { authorization: basic(key.id, key.key), 'content-type': 'application/json' },
        body,
      });
      assert.ok(res.status < 500, `answered ${res.status}`);
      const out = await expectJson<{ successes: { id: string }[]; errors: { id: string; status: number; message: string }[] }>(res, 207);
      const obs = (await expectJson<{ observations: Obs[] }>(await assay.api('/api/traces/hostile-t'), 200)).observations;
      const byId = new Map(obs.map((o) => [o.id, o]));
      assert.equal(byId.get('hostile-t')?.name, 'h\uFFFD');
      assert.match(JSON.stringify(byId.get('deep-s')?.metadata), /nested deeper than 64 levels/);
      const deeper = out.errors.find((e) => e.id === 'e5');
      if (deeper) assert.equal(deeper.status, 400, 'refused at the edge, with a 400 naming the depth');
      else assert.match(JSON.stringify(byId.get('deeper-s')?.metadata), /nested deeper than 64 levels/);
      out.errors = out.errors.filter((e) => e.id !== 'e5');
      assert.equal(byId.get('fine-s')?.input, 'a\uFFFDb');
      assert.equal(byId.get('huge-g')?.input_tokens, null, 'beyond a 32-bit integer column: left empty, the row is stored');
      assert.equal(byId.get('huge-g')?.output_tokens, 2);
      const letters = { data: (await expectJson<{ data: Obs[] }>(await assay.api('/api/trace-dead-letters'), 200)).data.filter((l) => l.source === 'langfuse') };
      const bigUser = await assay.api('/api/traces/big-user-t');
      await bigUser.text();
      if (kind.name === 'postgres') {
        assert.equal(bigUser.status, 404);
        assert.deepEqual(out.errors.map((e) => e.id), ['e3']);
        assert.match(out.errors[0].message, /dead letter/);
        assert.equal(letters.data.length, 1);
        assert.equal(letters.data[0].row_id, 'big-user-t');
        assert.equal(letters.data[0].trace_id, 'big-user-t');
        assert.equal(letters.data[0].payload.input, 'a user id too long for an index');
        assert.equal(letters.data[0].source, 'langfuse');
        assert.match(letters.data[0].reason, /index row/);
        const h = await health();
        assert.ok(h.set_aside >= 1);
        assert.match(h.last_set_aside.reason, /index row/);
      } else {
        assert.equal(bigUser.status, 200, 'SQLite has no index entry limit: stored');
        assert.deepEqual(out.errors, []);
        assert.deepEqual(letters.data, []);
      }
      await normalCallIsTraced();
    });
  });
}
