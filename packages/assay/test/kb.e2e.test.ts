/**
 * Knowledge bases through /api/kb against a real Assay whose embedding model is a fake upstream
 * with meaning-bearing vectors: create (dimension probed), ingest of Markdown, HTML, JSON Lines and
 * PDF (multipart and JSON), hybrid search with both arms' scores, re-ingest (unchanged, replaced),
 * the embedding cache, deletion, one bad document failing alone, and every user mistake's 4xx.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { newTraceId } from '../src/tracing/ids.js';
import { emptyObservation, Span } from '../src/tracing/span.js';
import type { HitJson, IngestResultJson, KbJson } from '../src/knowledge/wire.js';
import { startAssay, type TestAssay, expectJson, expectError } from './helpers/assay.js';
import { startFakeEmbeddings, type FakeEmbeddings } from './helpers/fake-embeddings.js';
import { storeKinds } from './helpers/stores.js';

const FIXTURES = fileURLToPath(new URL('../src/knowledge/parse/fixtures/', import.meta.url));
const fixture = (name: string) => readFileSync(FIXTURES + name);


interface IngestBody {
  kb: string;
  summary: { added: number; updated: number; unchanged: number; failed: number; chunks: number; embedded: number; cached: number; replaced: number };
  documents: IngestResultJson[];
}
interface SearchBody {
  arms: string;
  hits: HitJson[];
}

for (const kind of storeKinds) {
  describe(`knowledge bases on ${kind.name}`, { skip: kind.skip }, () => {
    let fake: FakeEmbeddings;
    let assay: TestAssay;
    let store: ReturnType<(typeof kind)['make']>;
    let readKey: string;
    const upload = (kb: string, files: [string, Buffer | string][], metadata?: unknown) => {
      const form = new FormData();
      for (const [name, content] of files) form.append('file', new Blob([content]), name);
      if (metadata !== undefined) form.append('metadata', JSON.stringify(metadata));
      // no content-type header: fetch sets multipart/form-data with the boundary
      return fetch(`${assay.url}/api/kb/${kb}/documents`, { method: 'POST', body: form, headers: { authorization: 'Bearer sk-assay-test-admin-key' } });
    };
    const search = async (kb: string, body: Record<string, unknown>) => expectJson<SearchBody>(await assay.post(`/api/kb/${kb}/search`, body), 200);

    before(async () => {
      store = kind.make();
      fake = await startFakeEmbeddings();
      assay = await startAssay(
        {
          providers: [{ id: 'emb', type: 'openai', base_url: fake.url }],
          knowledge: { chunk_tokens: 64, chunk_overlap: 8, max_document_bytes: 100_000 },
        },
        { databaseUrl: store.url },
      );
      const res = await assay.post('/api/keys', { name: 'reader', scopes: ['read'] });
      readKey = (await expectJson<{ key: string }>(res, 201)).key;
    });
    after(async () => {
      await assay?.stop();
      await fake?.close();
      await store?.cleanup();
    });

    test('create: the model is required, probed once for its dimension; a failing model creates nothing', async () => {
      await expectError(await assay.post('/api/kb', { name: 'docs' }), 400, 'embedding_model_required', /embedding_model.*knowledge\.default_embedding_model/);
      await expectError(await assay.post('/api/kb', { name: 'docs', embedding_model: 'emb/fail-404' }), 400, 'embedding_model_failed', /emb\/fail-404.*not created.*upstream says 404/);
      await expectError(await assay.post('/api/kb', { name: 'docs', embedding_model: 'emb/fail-503' }), 502, 'embedding_model_failed', /emb\/fail-503/);
      await expectError(await assay.post('/api/kb', { name: 'docs', embedding_model: 'nowhere/model' }), 400, 'embedding_model_failed', /nowhere/);
      assert.deepEqual((await expectJson<{ data: KbJson[] }>(await assay.api('/api/kb'), 200)).data, [], 'nothing was created');

      fake.reset();
      const kb = await expectJson<KbJson>(await assay.post('/api/kb', { name: 'docs', embedding_model: 'emb/bow', description: 'product docs' }), 201);
      assert.equal(kb.name, 'docs');
      assert.equal(kb.embedding_model, 'emb/bow');
      assert.equal(kb.dims, 64);
      assert.equal(kb.description, 'product docs', 'the description is stored, not dropped');
      assert.equal(kb.documents, 0);
      assert.match(kb.id, /^kb_/);
      assert.equal(fake.calls.length, 1, 'one probe call');

      await expectError(await assay.post('/api/kb', { name: 'docs', embedding_model: 'emb/bow' }), 409, 'already_exists', /exists already/);
      await expectError(await assay.post('/api/kb', { name: 'bad name!', embedding_model: 'emb/bow' }), 400, 'invalid_request_error', /letters, digits/);
      await expectError(await assay.post('/api/kb', { name: 'x', embedding_model: 'emb/bow', color: 'red' }), 400, 'invalid_request', /color/);
      await expectError(await assay.post('/api/kb', { name: 'x', embedding_model: 'emb/bow' }, readKey), 403, 'insufficient_scope', /admin/);

      const got = await expectJson<KbJson>(await assay.api(`/api/kb/${kb.id}`, { key: readKey }), 200);
      assert.equal(got.description, 'product docs');
      assert.equal(got.name, 'docs', 'by id as well as by name');
      const list = await expectJson<{ data: KbJson[] }>(await assay.api('/api/kb', { key: readKey }), 200);
      assert.deepEqual(list.data.map((b) => b.name), ['docs']);
    });

    test('ingest Markdown, HTML, JSON Lines and PDF; hybrid search puts the right chunk first with both arms', async () => {
      fake.reset();
      const res = await upload(
        'docs',
        [['fixtures/guide.md', fixture('guide.md')], ['fixtures/page.html', fixture('page.html')], ['fixtures/records.jsonl', fixture('records.jsonl')], ['fixtures/report.pdf', fixture('report.pdf')]],
        { team: 'handbook' },
      );
      const body = await expectJson<IngestBody>(res, 200);
      assert.deepEqual(body.documents.map((d) => [d.id, d.status]), [
        ['fixtures/guide.md', 'added'], ['fixtures/page.html', 'added'], ['fixtures/records.jsonl', 'added'], ['fixtures/report.pdf', 'added'],
      ]);
      assert.equal(body.summary.added, 4);
      for (const d of body.documents) assert.ok(d.chunks > 0 && d.embedded > 0 && d.version === 1 && d.error === null, JSON.stringify(d));
      assert.equal(body.summary.embedded, fake.texts().length, 'every embedded text went to the model once');
      assert.ok(fake.calls.length < 4, `small documents share embedding requests (${fake.calls.length} calls)`);

      let r = await search('docs', { query: 'when are refunds issued', k: 5 });
      assert.equal(r.arms, 'hybrid');
      const top = r.hits[0];
      assert.equal(top.document_id, 'fixtures/records.jsonl');
      assert.equal(top.source, 'fixtures/records.jsonl');
      assert.match(top.text, /Refunds are issued within 14 days/);
      assert.deepEqual([top.arms.vector?.rank, top.arms.text?.rank], [1, 1]);
      assert.ok(top.arms.vector!.distance >= 0 && top.arms.vector!.distance < 1);
      if (kind.name === 'sqlite') assert.ok(top.arms.text!.bm25! < 0);
      assert.ok(top.score > 0);
      assert.equal(top.metadata.category, 'billing');
      assert.equal(top.metadata.team, 'handbook');
      assert.equal(top.metadata.line, 1);
      assert.equal(top.metadata.format, 'jsonl');
      assert.equal(top.metadata.chunk_index, top.chunk_index);

      r = await search('docs', { query: 'revenue grew twelve percent', k: 3 });
      assert.equal(r.hits[0].source, 'fixtures/report.pdf');
      assert.equal(r.hits[0].metadata.page, 1);
      r = await search('docs', { query: 'copy the data file while stopped', k: 3 });
      assert.equal(r.hits[0].source, 'fixtures/guide.md');
      assert.deepEqual(r.hits[0].metadata.heading_path, ['Deploying Assay', 'Backups']);
      assert.equal(r.hits[0].metadata.title, 'Deploying Assay');

      fake.reset();
      r = await search('docs', { query: 'reciprocal rank fusion', arms: 'text', k: 3 });
      assert.equal(fake.calls.length, 0, 'a text search needs no embedding');
      assert.equal(r.hits[0].source, 'fixtures/page.html');
      assert.equal(r.hits[0].arms.vector, null);
      r = await search('docs', { query: 'reciprocal rank fusion', arms: 'vector', k: 3 });
      assert.equal(r.hits[0].arms.text, null);
      assert.equal(fake.calls.length, 1);
      r = await search('docs', { query: 'search', filter: { format: 'html' }, k: 20 });
      assert.ok(r.hits.length > 0 && r.hits.every((h) => h.source === 'fixtures/page.html'));

      const kb = await expectJson<KbJson>(await assay.api('/api/kb/docs'), 200);
      assert.equal(kb.documents, 4);
      assert.equal(kb.chunks, body.summary.chunks);
    });

    test('re-ingest: unchanged is skipped with no embedding call; changed replaces its chunks, reusing cached vectors', async () => {
      fake.reset();
      let body = await expectJson<IngestBody>(await upload('docs', [['fixtures/guide.md', fixture('guide.md')]], { team: 'handbook' }), 200);
      assert.equal(body.documents[0].status, 'unchanged');
      assert.equal(body.documents[0].embedded, 0);
      assert.equal(fake.calls.length, 0, 'no embedding calls');

      const before = body.documents[0].chunks;
      const changed = `${fixture('guide.md').toString()}\n## Upgrades\n\nTo upgrade, stop the server and install the newer zeppelin package.\n`;
      body = await expectJson<IngestBody>(await upload('docs', [['fixtures/guide.md', changed]], { team: 'handbook' }), 200);
      const d = body.documents[0];
      assert.equal(d.status, 'updated');
      assert.equal(d.replaced, before);
      assert.equal(d.version, 2);
      assert.ok(d.cached > 0, 'unchanged chunks come from the cache');
      assert.equal(d.embedded, fake.texts().length);
      assert.ok(d.embedded < d.chunks, JSON.stringify(d));
      const r = await search('docs', { query: 'zeppelin upgrade', k: 3 });
      assert.equal(r.hits[0].source, 'fixtures/guide.md');
      assert.match(r.hits[0].text, /zeppelin/);

      // Metadata is part of the document: changing it re-ingests without new embeddings.
      fake.reset();
      body = await expectJson<IngestBody>(await upload('docs', [['fixtures/guide.md', changed]], { team: 'platform' }), 200);
      assert.equal(body.documents[0].status, 'updated');
      assert.equal(fake.calls.length, 0);
    });

    test('the embedding cache: the same text in two documents is embedded once; base64 content', async () => {
      fake.reset();
      const shared = 'Zebras migrate across the savanna every spring.';
      const res = await assay.post('/api/kb/docs/documents', {
        documents: [
          { source: 'animals/a.txt', content: shared },
          { id: 'b', source: 'animals/b.txt', content_base64: Buffer.from(shared).toString('base64'), metadata: { lang: 'en' } },
        ],
      });
      const body = await expectJson<IngestBody>(res, 200);
      assert.deepEqual(body.documents.map((d) => [d.id, d.status, d.embedded, d.cached]), [['animals/a.txt', 'added', 1, 0], ['b', 'added', 0, 1]]);
      assert.deepEqual(fake.texts(), [shared]);
      const r = await search('docs', { query: 'zebra migration', filter: { lang: 'en' } });
      assert.deepEqual(r.hits.map((h) => h.document_id), ['b']);
    });

    test('in-process ingest: progress per document, and a cancelled ingest stops', async () => {
      const seen: string[] = [];
      const report = await assay.deps.knowledge.ingest(
        'docs',
        [{ source: 'p/one.md', content: '# One\n\nOtters hold hands.' }, { source: 'p/two.txt', content: '' }],
        { onProgress: (p) => seen.push(`${p.done}/${p.total} ${p.result.id} ${p.result.status}`) },
      );
      assert.deepEqual(seen.sort(), ['1/2 p/two.txt failed', '2/2 p/one.md added']);
      assert.deepEqual([report.summary.added, report.summary.failed], [1, 1]);
      const ac = new AbortController();
      ac.abort(new Error('stop now'));
      await assert.rejects(assay.deps.knowledge.ingest('docs', [{ source: 'p/three.md', content: '# Three' }], { signal: ac.signal }), /stop now/);
      assert.equal((await assay.api('/api/kb/docs/documents/p%2Fthree.md')).status, 404);
    });

    test('one bad document fails alone (207) with a clear error; the others go in', async () => {
      const res = await assay.post('/api/kb/docs/documents', {
        documents: [
          { source: 'ok/good.txt', content: 'Walruses sleep on floating ice.' },
          { source: 'ok/empty.txt', content: '' },
          { source: 'ok/broken.pdf', content_base64: Buffer.from('this is not a pdf').toString('base64') },
          { source: 'ok/report.docx', content: 'binary' },
          { source: 'ok/lines.jsonl', content: '{"text": "fine"}\nnot json\n' },
        ],
      });
      const body = await expectJson<IngestBody>(res, 207);
      assert.deepEqual(body.documents.map((d) => [d.source, d.status, d.error?.code ?? null]), [
        ['ok/good.txt', 'added', null],
        ['ok/empty.txt', 'failed', 'empty_document'],
        ['ok/broken.pdf', 'failed', 'invalid_pdf'],
        ['ok/report.docx', 'failed', 'unsupported_format'],
        ['ok/lines.jsonl', 'failed', 'invalid_jsonl'],
      ]);
      assert.match(body.documents[2].error!.message, /ok\/broken\.pdf is not a PDF/);
      assert.match(body.documents[4].error!.message, /line 2/);
      assert.equal(body.summary.failed, 4);
      assert.equal((await search('docs', { query: 'walrus ice' })).hits[0].source, 'ok/good.txt');
      assert.equal((await assay.api('/api/kb/docs/documents/ok%2Fempty.txt')).status, 404, 'a failed document is not stored');
    });

    test('a model that refuses one text fails only that document; a model whose dimension changed fails with both dims', async () => {
      await expectJson(await assay.post('/api/kb', { name: 'picky', embedding_model: 'emb/picky' }), 201);
      const body = await expectJson<IngestBody>(
        await assay.post('/api/kb/picky/documents', {
          documents: [{ source: 'a.txt', content: 'Harmless text.' }, { source: 'b.txt', content: 'A FORBIDDEN word.' }, { source: 'c.txt', content: 'More text.' }],
        }),
        207,
      );
      assert.deepEqual(body.documents.map((d) => d.status), ['added', 'failed', 'added']);
      assert.match(body.documents[1].error!.message, /emb\/picky.*not allowed/);

      const grow = await expectJson<KbJson>(await assay.post('/api/kb', { name: 'grow', embedding_model: 'emb/grow' }), 201);
      assert.equal(grow.dims, 16);
      const g = await expectJson<IngestBody>(await assay.post('/api/kb/grow/documents', { documents: [{ source: 'a.txt', content: 'Some text.' }] }), 207);
      assert.equal(g.documents[0].error?.code, 'embedding_dimension_mismatch');
      assert.match(g.documents[0].error!.message, /emb\/grow returned 32-dimensional vectors.*created with 16 dimensions/);
      await expectError(await assay.post('/api/kb/grow/search', { query: 'text' }), 502, 'embedding_dimension_mismatch', /32.*16/);
    });

    test('documents: paged list, get, delete (gone from search); a search traced under a parent span', async () => {
      const p1 = await expectJson<{ data: { id: string }[]; next_cursor: string | null }>(await assay.api('/api/kb/docs/documents?limit=2', { key: readKey }), 200);
      assert.equal(p1.data.length, 2);
      assert.ok(p1.next_cursor);
      const p2 = await expectJson<{ data: { id: string }[] }>(await assay.api(`/api/kb/docs/documents?limit=100&cursor=${p1.next_cursor}`), 200);
      assert.ok(!p2.data.some((d) => p1.data.some((x) => x.id === d.id)));
      await expectError(await assay.api('/api/kb/docs/documents?cursor=%25%25'), 400, 'invalid_request_error', /cursor/);

      const doc = await expectJson<{ id: string; chunks: number; metadata: Record<string, unknown> }>(await assay.api('/api/kb/docs/documents/fixtures%2Frecords.jsonl'), 200);
      assert.equal(doc.metadata.team, 'handbook');
      assert.equal((await assay.api('/api/kb/docs/documents/fixtures%2Frecords.jsonl', { method: 'DELETE', key: readKey })).status, 403);
      await expectJson(await assay.api('/api/kb/docs/documents/fixtures%2Frecords.jsonl', { method: 'DELETE' }), 200);
      const r = await search('docs', { query: 'when are refunds issued', k: 10 });
      assert.ok(!r.hits.some((h) => h.document_id === 'fixtures/records.jsonl'));
      await expectError(await assay.api('/api/kb/docs/documents/fixtures%2Frecords.jsonl', { method: 'DELETE' }), 404, 'document_not_found');

      const parent = new Span(assay.deps.recorder, emptyObservation({ trace_id: newTraceId(), type: 'retrieval', name: 'retrieve' }));
      const res = await assay.deps.knowledge.search('docs', 'walruses on ice', { parent });
      parent.end();
      assert.equal(res.hits[0].source, 'ok/good.txt');
      await assay.flush();
      const obs = await assay.deps.store.observations.getTrace(parent.traceId);
      const emb = obs.find((o) => o.type === 'embedding' && o.name === 'kb.search');
      assert.ok(emb, JSON.stringify(obs.map((o) => [o.type, o.name])));
      assert.equal(emb.parent_id, parent.id);
    });

    test('mistakes get precise 4xx answers', async () => {
      await expectError(await assay.api('/api/kb/nope'), 404, 'kb_not_found', /"nope" does not exist/);
      await expectError(await assay.post('/api/kb/nope/search', { query: 'x' }), 404, 'kb_not_found');
      await expectError(await upload('nope', [['a.md', '# A']]), 404, 'kb_not_found');
      await expectError(await assay.api('/api/kb/nope', { method: 'DELETE' }), 404, 'kb_not_found');
      await expectError(await assay.api('/api/kb/docs/search', { method: 'POST', body: '{"query": ' }), 400, 'invalid_json');
      await expectError(await assay.post('/api/kb/docs/search', { query: '  ' }), 400, 'empty_query');
      await expectError(await assay.post('/api/kb/docs/search', {}), 400, 'invalid_request', /query/);
      await expectError(await assay.post('/api/kb/docs/search', { query: 'x', k: 0 }), 400, 'invalid_request', /k/);
      await expectError(await assay.post('/api/kb/docs/search', { query: 'x', arms: 'magic' }), 400, 'invalid_request', /arms/);
      await expectError(await assay.post('/api/kb/docs/search', { query: 'x', filter: { 'bad key!': 1 } }), 400, 'invalid_request_error', /filter key/);
      await expectError(await assay.post('/api/kb/docs/documents', { documents: [] }), 400, 'invalid_request', /at least one/);
      await expectError(await assay.post('/api/kb/docs/documents', { documents: [{ source: 'a.md', content: 'x', format: 'docx' }] }), 400, 'invalid_request', /format/);
      await expectError(await assay.post('/api/kb/docs/documents', { documents: [{ source: 'a.md' }] }), 400, 'invalid_request', /exactly one of content/);
      await expectError(await assay.post('/api/kb/docs/documents', { documents: [{ source: 'a.pdf', content_base64: '@@@' }] }), 400, 'invalid_request', /base64/);
      await expectError(
        await assay.post('/api/kb/docs/documents', { documents: [{ source: 'a.md', content: 'x' }, { source: 'a.md', content: 'y' }] }),
        400, 'duplicate_document', /same id "a\.md"/,
      );
      await expectError(await assay.post('/api/kb/docs/documents', { documents: [{ source: 'big.txt', content: 'x'.repeat(100_001) }] }), 413, 'document_too_large', /knowledge\.max_document_bytes/);
      await expectError(
        await assay.api('/api/kb/docs/documents', { method: 'POST', body: 'x'.repeat(1_500_000) }),
        413, 'request_too_large', /knowledge\.max_document_bytes/,
      );
      await expectError(await assay.api('/api/kb/docs/documents', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
      const form = new FormData();
      form.append('metadata', '{"a": 1}');
      const headers = { authorization: 'Bearer sk-assay-test-admin-key' };
      await expectError(await fetch(`${assay.url}/api/kb/docs/documents`, { method: 'POST', body: form, headers }), 400, 'invalid_request_error', /no files/);
      form.append('file', new Blob(['x']), 'a.txt');
      form.append('colour', 'red');
      await expectError(await fetch(`${assay.url}/api/kb/docs/documents`, { method: 'POST', body: form, headers }), 400, 'invalid_request_error', /unknown form field "colour"/);
      await expectError(await upload('docs', [['a.txt', 'x']], [1, 2]), 400, 'invalid_request', /metadata/);
    });

    test('deleting a base removes it with its documents', async () => {
      const res = await expectJson<{ deleted: boolean; name: string }>(await assay.api('/api/kb/picky', { method: 'DELETE' }), 200);
      assert.equal(res.name, 'picky');
      await expectError(await assay.api('/api/kb/picky'), 404, 'kb_not_found');
      await expectError(await assay.post('/api/kb/picky/search', { query: 'text' }), 404, 'kb_not_found');
      const list = await expectJson<{ data: KbJson[] }>(await assay.api('/api/kb'), 200);
      assert.deepEqual(list.data.map((b) => b.name).sort(), ['docs', 'grow']);
    });
  });
}
