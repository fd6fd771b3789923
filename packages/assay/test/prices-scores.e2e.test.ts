/**
 * Cost, the price table API, scores and redaction end to end: gateway calls through a fake upstream
 * are priced with the current table version; editing the table makes a new version that later
 * calls record; scores attach to traces; configured redactors scrub stored payloads. Both stores.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { startAssay, type TestAssay } from './helpers/assay.js';
import { storeKinds, type TestStore } from './helpers/stores.js';
import { BUILTIN_PRICE_VERSION } from '../src/tracing/prices/builtin.js';

for (const kind of storeKinds) {
  describe(`prices, scores and redaction (${kind.name})`, { skip: kind.skip }, () => {
    let up: FakeOpenAI;
    let assay: TestAssay;
    let store: TestStore;

    before(async () => {
      up = await startFakeOpenAI();
      store = kind.make();
      assay = await startAssay(
        {
          providers: [{ id: 'up', type: 'openai', base_url: up.url, api_key: 'k' }],
          governance: { redact: { builtins: ['emails', 'cards', 'api_keys'], custom: [{ name: 'ticket', pattern: 'TICKET-\\d+', replacement: '[TICKET]' }] } },
        },
        { databaseUrl: store.url },
      );
    });
    after(async () => {
      await assay?.stop();
      await up?.close();
      await store?.cleanup();
    });

    const chat = async (model: string, content = 'hi') => {
      const res = await assay.api('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model, messages: [{ role: 'user', content }] }) });
      assert.equal(res.status, 200, await res.clone().text());
      return res.headers.get('x-assay-trace-id')!;
    };
    const rootOf = async (traceId: string) => {
      await assay.flush();
      const t = (await (await assay.api(`/api/traces/${traceId}`)).json()) as { observations: Record<string, any>[] };
      return t.observations.find((o) => o.parent_id === null)!;
    };

    test('a call is priced from the built-in table and records the version', async () => {
      const r = await rootOf(await chat('up/gpt-4o-mini'));
      assert.equal(r.type, 'generation');
      assert.equal(r.price_version, BUILTIN_PRICE_VERSION);
      assert.equal(r.cost, (7 * 0.15 + 3 * 0.6) / 1e6);
      assert.equal(r.cost_details.source, 'computed');
    });

    test('a provider-reported cost wins over the table', async () => {
      const r = await rootOf(await chat('up/gpt-4o-mini-reported-cost'));
      assert.equal(r.cost, 0.0042);
      assert.equal(r.cost_details.source, 'provider');
      assert.equal(r.price_version, null);
    });

    test('editing the table makes a new version; old observations keep theirs and it can be read back', async () => {
      const before = await rootOf(await chat('up/gpt-4o-mini'));
      const put = await assay.api('/api/prices/entries/gpt-4o-mini', {
        method: 'PUT',
        body: JSON.stringify({ match: '^gpt-4o-mini$', input: 1, output: 2, note: 'negotiated' }),
      });
      assert.equal(put.status, 200, await put.clone().text());
      const table = (await put.json()) as { version: string; entries: { model: string; source: string }[] };
      assert.equal(table.version, `v1+${BUILTIN_PRICE_VERSION}`);
      assert.equal(table.entries[0].source, 'custom');
      assert.equal(table.entries.filter((e) => e.model === 'gpt-4o-mini').length, 1);

      const after = await rootOf(await chat('up/gpt-4o-mini'));
      assert.equal(after.price_version, table.version);
      assert.equal(after.cost, (7 * 1 + 3 * 2) / 1e6);
      assert.equal(before.price_version, BUILTIN_PRICE_VERSION);

      const old = await assay.api(`/api/prices/versions/${encodeURIComponent(table.version)}`);
      assert.equal(old.status, 200);
      assert.equal(((await old.json()) as { note: string }).note, 'negotiated');
      const versions = (await (await assay.api('/api/prices/versions')).json()) as { data: { version: string }[]; current: string };
      assert.deepEqual(versions.data.map((v) => v.version), ['v1']);

      const est = (await (
        await assay.api('/api/prices/estimate', { method: 'POST', body: JSON.stringify({ model: 'gpt-4o-mini', input_tokens: 1e6, output_tokens: 1e6 }) })
      ).json()) as { cost: { total: number } };
      assert.equal(est.cost.total, 3);

      const del = await assay.api('/api/prices/entries/gpt-4o-mini', { method: 'DELETE' });
      assert.equal(del.status, 200);
      assert.equal(((await del.json()) as { version: string }).version, `v2+${BUILTIN_PRICE_VERSION}`);
    });

    test('bad price input is a precise 400; built-ins cannot be deleted', async () => {
      const bad = await assay.api('/api/prices/entries/x', { method: 'PUT', body: JSON.stringify({ match: '(', input: 1, output: 1 }) });
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { error: { message: string } }).error.message, /regular expression/);
      const neg = await assay.api('/api/prices/entries/x', { method: 'PUT', body: JSON.stringify({ match: 'x', input: -1, output: 1 }) });
      assert.equal(neg.status, 400);
      const del = await assay.api('/api/prices/entries/gpt-4o', { method: 'DELETE' });
      assert.equal(del.status, 404);
    });

    test('scores attach to a trace and list back; bad scores are 400', async () => {
      const traceId = await chat('up/gpt-4o-mini');
      const res = await assay.api('/api/scores', {
        method: 'POST',
        body: JSON.stringify({ trace_id: traceId, name: 'helpful', value: 0.8, comment: 'good; mail me at a@b.co' }),
      });
      assert.equal(res.status, 201, await res.clone().text());
      const s = (await res.json()) as { id: string; data_type: string };
      assert.equal(s.data_type, 'NUMERIC');
      await assay.api('/api/scores', { method: 'POST', body: JSON.stringify({ trace_id: traceId, name: 'thumbs', value: true }) });
      const list = (await (await assay.api(`/api/scores?trace_id=${traceId}`)).json()) as { data: Record<string, any>[] };
      assert.equal(list.data.length, 2);
      const thumbs = list.data.find((x) => x.name === 'thumbs')!;
      assert.deepEqual([thumbs.data_type, thumbs.value, thumbs.string_value], ['BOOLEAN', 1, 'true']);
      assert.equal(list.data.find((x) => x.name === 'helpful')!.comment, 'good; mail me at [REDACTED_EMAIL]');

      for (const body of [{ name: 'x', value: 1 }, { trace_id: 't', value: 1 }, { trace_id: 't', name: 'x', value: 'a', data_type: 'NUMERIC' }, { trace_id: 't', name: 'x', value: 1, extra: 1 }]) {
        const r = await assay.api('/api/scores', { method: 'POST', body: JSON.stringify(body) });
        assert.equal(r.status, 400, JSON.stringify(body));
      }
    });

    test('redactors scrub stored request and response bodies', async () => {
      const r = await rootOf(await chat('up/gpt-4o-mini', 'I am jo@example.com, card 4111 1111 1111 1111, key sk-proj-abcdefghijklmnop1234, TICKET-991'));
      const stored = JSON.stringify([r.input, r.output]);
      assert.doesNotMatch(stored, /jo@example\.com|4111 1111|sk-proj-abcdefghijklmnop1234|TICKET-991/);
      assert.match(r.input.messages[0].content, /\[REDACTED_EMAIL\].*\[REDACTED_CARD\].*\[REDACTED_KEY\].*\[TICKET\]/);
    });

    test('redaction applies to OTLP and Langfuse ingest too, unmapped attributes included', async () => {
      const otlp = await assay.api('/v1/traces', {
        method: 'POST',
        body: JSON.stringify({
          resourceSpans: [{ scopeSpans: [{ spans: [{
            traceId: 'aa'.repeat(16), spanId: 'bb'.repeat(8), name: 'chat', kind: 3,
            startTimeUnixNano: `${Date.now()}000000`, endTimeUnixNano: `${Date.now() + 5}000000`,
            attributes: [
              { key: 'input.value', value: { stringValue: 'reach me at otlp@example.com' } },
              { key: 'app.customer', value: { stringValue: 'TICKET-77 for otlp@example.com' } },
            ],
          }] }] }],
        }),
      });
      assert.equal(otlp.status, 200, await otlp.clone().text());
      const lf = await assay.api('/api/public/ingestion', {
        method: 'POST',
        body: JSON.stringify({ batch: [{ id: 'e1', timestamp: new Date().toISOString(), type: 'trace-create', body: { id: 'lf-redact', name: 't', input: 'mail lf@example.com' } }] }),
      });
      assert.equal(lf.status, 207);
      const o = (await (await assay.api(`/api/traces/${'aa'.repeat(16)}`)).json()) as { observations: Record<string, any>[] };
      const stored = JSON.stringify(o.observations[0]);
      assert.doesNotMatch(stored, /otlp@example\.com|TICKET-77/);
      assert.match(stored, /\[REDACTED_EMAIL\]/);
      const t = (await (await assay.api('/api/traces/lf-redact')).json()) as { observations: Record<string, any>[] };
      assert.equal(t.observations[0].input, 'mail [REDACTED_EMAIL]');
    });
  });
}

for (const kind of storeKinds) {
  test(`a score with NUL characters is stored, not a 500 (${kind.name})`, { skip: kind.skip }, async () => {
    const store = kind.make();
    const assay = await startAssay({}, { databaseUrl: store.url });
    try {
      const res = await assay.api('/api/scores', {
        method: 'POST',
        body: JSON.stringify({ trace_id: 't', name: 'n', value: 'a\u0000b', comment: 'c\u0000', metadata: { k: 'v\u0000' } }),
      });
      assert.equal(res.status, 201, await res.clone().text());
      const list = (await (await assay.api('/api/scores?trace_id=t')).json()) as { data: Record<string, any>[] };
      assert.equal(list.data.length, 1);
    } finally {
      await assay.stop();
      await store.cleanup();
    }
  });
}
