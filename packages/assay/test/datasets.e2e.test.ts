/**
 * Datasets through /api/datasets against a real Assay on both stores: create, CSV and JSONL
 * imports (raw body and multipart), items and versions, edits and deletions making new versions
 * while old ones stay readable, the export → import round trip (byte for byte), items from a real
 * gateway call's trace, and every user mistake's 4xx with nothing written. Then `assay dataset`
 * as a user runs it (import, export, versions, add-trace).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyObservation } from '../src/tracing/span.js';
import type { Dataset, DatasetItem, DatasetVersion, WriteResult } from '../src/datasets/types.js';
import { ADMIN_KEY, startAssay, type TestAssay, expectJson, expectError } from './helpers/assay.js';
import { runCli } from './helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { storeKinds } from './helpers/stores.js';

const CSV = [
  'question,lang,__expected,__expected1,__description',
  'What is 2+2?,en,4,,arithmetic',
  '"Capital of France, please",en,contains:Paris,"llm-rubric:answers politely,\nin one line",geo',
  'Wie spät ist es?,de,,,',
].join('\r\n');

const JSONL = [
  '{"id":"chat-1","input":{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}]},"expected":"hello"}',
  '{"vars":{"city":"Paris"},"assert":[{"type":"icontains","value":"france"}],"description":"promptfoo test"}',
  '{"input":[{"role":"user","content":"2+2"}],"ideal":["4","four"]}',
].join('\n');

interface ItemsPage {
  dataset: string;
  version: number;
  data: DatasetItem[];
  next_cursor: string | null;
}
interface ErrorBody {
  error: { code: string; message: string; errors?: { line?: number; index?: number; column?: string; message: string }[] };
}

for (const kind of storeKinds) {
  describe(`datasets on ${kind.name}`, { skip: kind.skip }, () => {
    let up: FakeOpenAI;
    let assay: TestAssay;
    let store: ReturnType<(typeof kind)['make']>;
    let readKey: string;
    const raw = (path: string, body: string, contentType: string, method = 'POST') =>
      fetch(assay.url + path, { method, body, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': contentType } });
    const items = async (name: string, query = '') => expectJson<ItemsPage>(await assay.api(`/api/datasets/${name}/items${query}`), 200);
    const exportText = async (name: string, query: string) => {
      const res = await assay.api(`/api/datasets/${name}/export${query}`);
      const text = await res.text();
      assert.equal(res.status, 200, text);
      return { text, res };
    };

    before(async () => {
      store = kind.make();
      up = await startFakeOpenAI();
      assay = await startAssay({ providers: [{ id: 'up', type: 'openai', base_url: up.url }] }, { databaseUrl: store.url });
      readKey = (await expectJson<{ key: string }>(await assay.post('/api/keys', { name: 'reader', scopes: ['read'] }), 201)).key;
    });
    after(async () => {
      await assay?.stop();
      await up?.close();
      await store?.cleanup();
    });

    test('create, list, get; names are checked; writes need the admin scope', async () => {
      const d = await expectJson<Dataset>(await assay.post('/api/datasets', { name: 'support/qa', description: 'support questions', metadata: { owner: 'ops' } }), 201);
      assert.match(d.id, /^ds_/);
      assert.deepEqual([d.name, d.version, d.items, d.description], ['support/qa', 0, 0, 'support questions']);
      await expectError(await assay.post('/api/datasets', { name: 'support/qa' }), 409, 'already_exists', /exists already/);
      await expectError(await assay.post('/api/datasets', { name: 'bad name!' }), 400, 'invalid_name', /letters, digits/);
      await expectError(await assay.post('/api/datasets', { name: 'x', colour: 'red' }), 400, 'invalid_request', /colour/);
      await expectError(await assay.post('/api/datasets', { name: 'x' }, readKey), 403, 'insufficient_scope');
      const got = await expectJson<Dataset>(await assay.api('/api/datasets/support%2Fqa', { key: readKey }), 200);
      assert.equal(got.id, d.id);
      assert.equal((await expectJson<Dataset>(await assay.api(`/api/datasets/${d.id}`), 200)).name, 'support/qa', 'by id too');
      await expectError(await assay.api('/api/datasets/nope/items'), 404, 'dataset_not_found', /no dataset nope/);
    });

    test('import CSV (raw body) and JSONL (multipart, upsert); items, versions and the list show them', async () => {
      let r = await expectJson<WriteResult>(await raw('/api/datasets/support%2Fqa/import', CSV, 'text/csv'), 200);
      assert.deepEqual([r.version, r.added, r.updated, r.removed], [1, 3, 0, 0]);
      const form = new FormData();
      form.append('file', new Blob([JSONL]), 'more.jsonl');
      const res = await fetch(`${assay.url}/api/datasets/support%2Fqa/import?mode=upsert`, { method: 'POST', body: form, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      r = await expectJson<WriteResult>(res, 200);
      assert.deepEqual([r.version, r.added], [2, 3]);

      const page = await items('support%2Fqa', '?limit=4');
      assert.equal(page.version, 2);
      assert.equal(page.data.length, 4);
      const [q1, q2, q3, chat] = page.data;
      assert.deepEqual(q1.input, { vars: { question: 'What is 2+2?', lang: 'en' } });
      assert.equal(q1.expected, '4');
      assert.deepEqual(q1.metadata, { description: 'arithmetic' });
      assert.deepEqual(q2.assert, [{ type: 'contains', value: 'Paris' }, { type: 'llm-rubric', value: 'answers politely,\nin one line' }]);
      assert.deepEqual(q3.input, { vars: { question: 'Wie spät ist es?', lang: 'de' } });
      assert.equal(chat.id, 'chat-1');
      assert.deepEqual(chat.input, { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }] });
      const rest = await items('support%2Fqa', `?cursor=${page.next_cursor}`);
      assert.deepEqual(rest.data.map((i) => i.expected), [null, ['4', 'four']]);
      assert.equal(rest.next_cursor, null);

      const list = await expectJson<{ data: Dataset[] }>(await assay.api('/api/datasets', { key: readKey }), 200);
      assert.deepEqual(list.data.map((d) => [d.name, d.version, d.items]), [['support/qa', 2, 6]]);
      const versions = await expectJson<{ data: DatasetVersion[] }>(await assay.api('/api/datasets/support%2Fqa/versions'), 200);
      assert.deepEqual(versions.data.map((v) => [v.version, v.origin, v.added, v.items]), [[0, 'create', 0, 0], [1, 'import', 3, 3], [2, 'import', 3, 6]]);

      // an item written again as it is: nothing changes, no version
      const same = await expectJson<WriteResult>(await raw('/api/datasets/support%2Fqa/import?mode=upsert', JSONL.split('\n')[0], 'application/x-ndjson'), 200);
      assert.deepEqual([same.version, same.unchanged], [2, 1], 'chat-1 unchanged: no new version');
    });

    test('edit and delete make new versions; old versions stay readable', async () => {
      const chat = (await items('support%2Fqa')).data[3];
      const patched = await expectJson<{ version: number; item: DatasetItem }>(
        await raw(`/api/datasets/support%2Fqa/items/${chat.id}`, JSON.stringify({ expected: 'hello there', metadata: { reviewed: true } }), 'application/json', 'PATCH'),
        200,
      );
      assert.equal(patched.version, 3);
      assert.equal(patched.item.expected, 'hello there');
      const del = await expectJson<{ version: number }>(await assay.api(`/api/datasets/support%2Fqa/items/${chat.id}`, { method: 'DELETE' }), 200);
      assert.equal(del.version, 4);
      const added = await expectJson<WriteResult>(await assay.post('/api/datasets/support%2Fqa/items', { items: [{ id: 'new/1', vars: { question: 'new?' } }] }), 200);
      assert.deepEqual([added.version, added.ids], [5, ['new/1']]);
      assert.equal((await expectJson<DatasetItem>(await assay.api('/api/datasets/support%2Fqa/items/new%2F1'), 200)).id, 'new/1');

      assert.equal((await items('support%2Fqa', '?version=2')).data.find((i) => i.id === 'chat-1')?.expected, 'hello');
      assert.equal((await items('support%2Fqa', '?version=3')).data.find((i) => i.id === 'chat-1')?.expected, 'hello there');
      assert.equal((await items('support%2Fqa', '?version=4')).data.find((i) => i.id === 'chat-1'), undefined);
      assert.equal((await items('support%2Fqa')).data.length, 6);
      await expectError(await assay.api('/api/datasets/support%2Fqa/items?version=9'), 404, 'version_not_found', /versions are 0 to 5/);
      await expectError(await raw('/api/datasets/support%2Fqa/items/nope', '{"expected":"x"}', 'application/json', 'PATCH'), 404, 'item_not_found');
      await expectError(await raw('/api/datasets/support%2Fqa/items/new%2F1', '{}', 'application/json', 'PATCH'), 400, 'invalid_request', /nothing to change/);
    });

    test('export → import round trip, byte for byte, in JSONL and CSV', async () => {
      for (const format of ['jsonl', 'csv'] as const) {
        const { text, res } = await exportText('support%2Fqa', `?format=${format}&version=3`);
        assert.equal(res.headers.get('x-assay-dataset-version'), '3');
        assert.match(res.headers.get('content-type') ?? '', format === 'csv' ? /^text\/csv/ : /^application\/x-ndjson/);
        assert.match(res.headers.get('content-disposition') ?? '', new RegExp(`support_qa-v3\\.${format}`));
        assert.equal((await exportText('support%2Fqa', `?format=${format}&version=3`)).text, text, 'stable for the same data');
        const copy = `copy-${format}`;
        await expectJson<Dataset>(await assay.post('/api/datasets', { name: copy }), 201);
        const r = await expectJson<WriteResult>(await raw(`/api/datasets/${copy}/import`, text, format === 'csv' ? 'text/csv' : 'application/x-ndjson'), 200);
        assert.equal(r.added, 6);
        assert.equal((await exportText(copy, `?format=${format}`)).text, text, `${format}: same bytes after the round trip`);
        const strip = (p: ItemsPage) => p.data.map(({ id, input, expected, assert, metadata, source }) => ({ id, input, expected, assert, metadata, source }));
        assert.deepEqual(strip(await items(copy)), strip(await items('support%2Fqa', '?version=3')));
      }
      const csv = (await exportText('support%2Fqa', '?format=csv&version=1')).text;
      assert.equal(csv.split('\n')[0], '__id,question,lang,__expected,__assert,__metadata');
    });

    test('items from a real gateway call: input messages, output as expected; missing traces 404, bodiless traces 400', async () => {
      await expectJson<Dataset>(await assay.post('/api/datasets', { name: 'from-prod' }), 201);
      const call = await assay.api('/v1/chat/completions', {
        method: 'POST',
        body: JSON.stringify({ model: 'up/m', messages: [{ role: 'user', content: 'refund policy?' }], temperature: 0 }),
      });
      assert.equal(call.status, 200);
      await call.text();
      const traceId = call.headers.get('x-assay-trace-id')!;
      await assay.flush();
      const r = await expectJson<WriteResult & { items: DatasetItem[] }>(await assay.post('/api/datasets/from-prod/items/from-traces', { trace_ids: [traceId], expected_from: 'output' }), 200);
      assert.deepEqual([r.version, r.added], [1, 1]);
      const item = r.items[0];
      assert.equal(item.id, `trace-${traceId}`);
      assert.deepEqual(item.input, { messages: [{ role: 'user', content: 'refund policy?' }] });
      assert.equal(item.expected, 'echo: refund policy?');
      assert.equal(item.source?.trace_id, traceId);
      assert.deepEqual(item.metadata?.params, { temperature: 0 });

      await expectError(await assay.post('/api/datasets/from-prod/items/from-traces', { trace_ids: [traceId, 'no-such-trace'] }), 404, 'trace_not_found', /no-such-trace/);
      const bare = emptyObservation({ trace_id: 'bodiless-trace', type: 'generation', name: 'chat.completions' });
      await assay.deps.store.observations.insertMany([bare]);
      await expectError(await assay.post('/api/datasets/from-prod/items/from-traces', { trace_ids: ['bodiless-trace'] }), 400, 'trace_without_bodies', /bodiless-trace.*store_bodies/);
      await expectError(await assay.post('/api/datasets/from-prod/items/from-traces', { trace_ids: [] }), 400, 'invalid_request', /at least one/);
      assert.equal((await expectJson<Dataset>(await assay.api('/api/datasets/from-prod'), 200)).version, 1);
    });

    test('mistakes: a bad CSV row writes nothing and lists every row; both messages and vars; unknown dataset; formats', async () => {
      const before = await expectJson<Dataset>(await assay.api('/api/datasets/support%2Fqa'), 200);
      const bad = 'q,__assert,__metadata\nok,,\nx,"[{""value"":1}]",\ny,,{not json\nz,,"[1]"\n';
      const e = await expectError<ErrorBody['error']>(await raw('/api/datasets/support%2Fqa/import', bad, 'text/csv'), 400, 'invalid_import', /nothing was written \(3 problems\)/);
      assert.deepEqual(e.errors?.map((x) => [x.line, x.column]), [[3, '__assert'], [4, '__metadata'], [5, '__metadata']]);
      assert.match(e.message, /line 3, column __assert: assert\[0\]\.type is required/);
      const after = await expectJson<Dataset>(await assay.api('/api/datasets/support%2Fqa'), 200);
      assert.deepEqual([after.version, after.items], [before.version, before.items], 'nothing written');

      const both = await expectError<ErrorBody['error']>(
        await assay.post('/api/datasets/support%2Fqa/items', { items: [{ input: { messages: [{ role: 'user', content: 'x' }], vars: { a: 1 } } }] }),
        400,
        'invalid_items',
        /item 0, field input: give exactly one of input\.messages and input\.vars/,
      );
      assert.deepEqual(both.errors?.[0], { index: 0, column: 'input', message: 'give exactly one of input.messages and input.vars, not both' });
      await expectError(await assay.post('/api/datasets/support%2Fqa/items', { items: [{ id: 'q9', vars: {} }], mode: 'sideways' }), 400, 'invalid_request', /append, upsert or replace/);
      await expectError(await raw('/api/datasets/nope/import', 'q\n1\n', 'text/csv'), 404, 'dataset_not_found');
      await expectError(await raw('/api/datasets/support%2Fqa/import', 'q\n1\n', 'text/plain'), 415, 'unsupported_media_type', /format=jsonl\|csv/);
      const forced = await expectJson<WriteResult>(await raw('/api/datasets/support%2Fqa/import?format=csv&mode=upsert', '__id,question,lang\nnew/1,new?,\n', 'text/plain'), 200);
      assert.equal(forced.updated, 1, '?format= overrides the content type');
      await expectError(await raw('/api/datasets/support%2Fqa/import', 'not json\n', 'application/x-ndjson'), 400, 'invalid_import', /line 1: not valid JSON/);
      await expectError(await assay.api('/api/datasets/support%2Fqa/export?format=xml'), 400, 'invalid_request', /jsonl or csv/);
      await expectError(await assay.post('/api/datasets/support%2Fqa/items', { items: [] }), 400, 'invalid_request', /at least one item/);
    });

    test('delete a dataset', async () => {
      const d = await expectJson<{ deleted: boolean; name: string }>(await assay.api('/api/datasets/copy-csv', { method: 'DELETE' }), 200);
      assert.deepEqual([d.deleted, d.name], [true, 'copy-csv']);
      await expectError(await assay.api('/api/datasets/copy-csv'), 404, 'dataset_not_found');
      await expectError(await assay.api('/api/datasets/copy-jsonl', { method: 'DELETE', key: readKey }), 403, 'insufficient_scope');
    });

    if (kind.name === 'sqlite') {
      test('assay dataset: create, import, list, versions, export (-o, --version), add-trace', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'assay-dataset-cli-'));
        try {
          writeFileSync(join(dir, 'tests.csv'), CSV);
          writeFileSync(join(dir, 'more.jsonl'), JSONL);
          const cli = (args: string[]) => runCli(args, { url: assay.url, cwd: dir });
          let r = await cli(['dataset', 'create', 'cli-set', '--description', 'from the CLI']);
          assert.equal(r.status, 0, r.stderr);
          assert.match(r.stdout, /created dataset cli-set \(ds_\w+\)/);
          r = await cli(['dataset', 'import', 'cli-set', 'tests.csv']);
          assert.equal(r.status, 0, r.stderr);
          assert.match(r.stdout, /cli-set: version 1 \(3 added, 0 updated, 0 removed, 0 unchanged\)/);
          r = await cli(['dataset', 'import', 'cli-set', 'more.jsonl', '--mode', 'upsert']);
          assert.match(r.stdout, /version 2 \(3 added/);
          writeFileSync(join(dir, 'bad.csv'), 'q,__metadata\nok,\nno,{x\n');
          r = await cli(['dataset', 'import', 'cli-set', 'bad.csv']);
          assert.equal(r.status, 1);
          assert.match(r.stderr, /line 3, column __metadata: is not valid JSON/);
          r = await cli(['dataset', 'import', 'cli-set', 'tests.txt']);
          assert.match(r.stderr, /--format jsonl\|csv/);

          r = await cli(['dataset', 'list']);
          assert.match(r.stdout, /cli-set\tds_\w+\tv2\t6 items\tfrom the CLI/);
          r = await cli(['dataset', 'versions', 'cli-set']);
          assert.equal(r.stdout.trim().split('\n').length, 3);
          assert.match(r.stdout, /v1\t\S+\timport\t\+3 ~0 -0\t3 items/);

          r = await cli(['dataset', 'export', 'cli-set', '--version', '1', '-o', 'v1.csv']);
          assert.equal(r.status, 0, r.stderr);
          assert.match(r.stderr, /wrote cli-set version 1 to v1.csv \(csv\)/);
          const v1 = readFileSync(join(dir, 'v1.csv'), 'utf8');
          assert.equal(v1.trim().split('\n')[0], '__id,question,lang,__expected,__assert,__metadata');
          r = await cli(['dataset', 'export', 'cli-set']);
          assert.equal(r.stdout.trim().split('\n').length, 6, 'JSONL on stdout, current version');
          assert.equal(r.stdout, (await exportText('cli-set', '?format=jsonl')).text);
          r = await cli(['dataset', 'export', 'nope']);
          assert.equal(r.status, 1);
          assert.match(r.stderr, /no dataset nope/);

          const call = await assay.api('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'up/m', messages: [{ role: 'user', content: 'cli?' }] }) });
          await call.text();
          await assay.flush();
          const traceId = call.headers.get('x-assay-trace-id')!;
          r = await cli(['dataset', 'add-trace', 'cli-set', traceId, '--expected-from', 'output']);
          assert.equal(r.status, 0, r.stderr);
          assert.match(r.stdout, new RegExp(`version 3 \\(1 added.*items trace-${traceId}`));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });
}


