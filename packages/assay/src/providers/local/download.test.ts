/**
 * Where `local/default` gets its model, offline. Never touches the real network: the download
 * URI is an unreachable local port, and the one test that resolves the built-in hf: URI stubs fetch.
 */
import { TINY_MODEL } from '../../../test/helpers/models.js';
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { UpstreamError } from '../../errors.js';
import type { ChatResult } from '../../gateway/types.js';
import { emptyObservation, Span } from '../../tracing/span.js';
import { localProvider, pullModel } from './index.js';

const MODEL = TINY_MODEL;
const UNREACHABLE = 'http://127.0.0.1:9/x.gguf';
const call = () => ({ signal: new AbortController().signal, span: new Span({ record() {} }, emptyObservation({ trace_id: 't', type: 'generation', name: 'x' })) });
const saved = { path: process.env.ASSAY_LOCAL_MODEL, uri: process.env.ASSAY_LOCAL_MODEL_URI };
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'assay-local-dl-'));
  dirs.push(d);
  return d;
};
const setEnv = (k: string, v: string | undefined) => (v === undefined ? delete process.env[k] : (process.env[k] = v));

afterEach(() => {
  setEnv('ASSAY_LOCAL_MODEL', saved.path);
  setEnv('ASSAY_LOCAL_MODEL_URI', saved.uri);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function assertUnavailable(e: unknown, ...patterns: RegExp[]): true {
  assert.ok(e instanceof UpstreamError, String(e));
  assert.equal(e.status, 503);
  assert.equal(e.code, 'local_model_unavailable');
  assert.equal(e.failure, 'unavailable'); // the router falls back to another target, no retry here
  for (const p of patterns) assert.match(e.message, p);
  return true;
}

test('no model and the download host unreachable → 503 local_model_unavailable saying what to do', async () => {
  delete process.env.ASSAY_LOCAL_MODEL;
  process.env.ASSAY_LOCAL_MODEL_URI = UNREACHABLE;
  const provider = localProvider.create(localProvider.configSchema.parse({ type: 'local' }), { dataDir: tmp(), log: () => undefined });
  const t0 = performance.now();
  await assert.rejects(provider.chat({ model: 'default', messages: [{ role: 'user', content: 'hi' }] }, call()), (e) =>
    assertUnavailable(
      e,
      /set ASSAY_LOCAL_MODEL=\/path\/to\/model\.gguf, or run `assay models pull` with internet access/,
      /download of http:\/\/127\.0\.0\.1:9\/x\.gguf failed: fetch failed \(bad port\)$/, // fetch refuses port 9 outright
    ),
  );
  assert.ok(performance.now() - t0 < 5000, 'fails fast instead of retrying for minutes');
  await provider.close();

  // a closed port on an allowed number: connection refused, also at once
  const port = await closedPort();
  process.env.ASSAY_LOCAL_MODEL_URI = `http://127.0.0.1:${port}/m.gguf`;
  const p2 = localProvider.create(localProvider.configSchema.parse({ type: 'local' }), { dataDir: tmp(), log: () => undefined });
  await assert.rejects(p2.chat({ model: 'default', messages: [{ role: 'user', content: 'hi' }] }, call()), (e) =>
    assertUnavailable(e, new RegExp(`download of http://127\\.0\\.0\\.1:${port}/m\\.gguf failed: .*ECONNREFUSED`)),
  );
  await p2.close();
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

test('pullModel reports the same 503, and a configured model names itself in the hint', async () => {
  await assert.rejects(pullModel({ dataDir: tmp(), uri: UNREACHABLE, progress: false }), (e) => assertUnavailable(e, /download of http:\/\/127\.0\.0\.1:9\/x\.gguf failed/));
  const config = localConfigFor({ big: { uri: UNREACHABLE } });
  await assert.rejects(pullModel({ dataDir: tmp(), name: 'big', config, progress: false }), (e) => assertUnavailable(e, /assay models pull big/));
  await assert.rejects(pullModel({ dataDir: tmp(), name: 'missing', config }), (e: UpstreamError) => e.status === 404);
});

test('a model file already in <dataDir>/models is used offline (no download)', async () => {
  const dataDir = tmp();
  mkdirSync(join(dataDir, 'models'));
  copyFileSync(MODEL, join(dataDir, 'models', 'x.gguf'));
  assert.equal(await pullModel({ dataDir, uri: UNREACHABLE }), join(dataDir, 'models', 'x.gguf'));

  // the built-in default URI resolves to node-llama-cpp's file name for it, with no network
  copyFileSync(MODEL, join(dataDir, 'models', 'hf_Qwen_qwen2.5-0.5b-instruct-q4_k_m.gguf'));
  const realFetch = globalThis.fetch;
  globalThis.fetch = () => Promise.reject(new Error('network disabled in tests'));
  try {
    delete process.env.ASSAY_LOCAL_MODEL_URI;
    delete process.env.ASSAY_LOCAL_MODEL;
    assert.equal(await pullModel({ dataDir }), join(dataDir, 'models', 'hf_Qwen_qwen2.5-0.5b-instruct-q4_k_m.gguf'));
  } finally {
    globalThis.fetch = realFetch;
  }
});

test('ASSAY_LOCAL_MODEL: an existing file serves local/default; a missing one is a 503 naming the path', async () => {
  process.env.ASSAY_LOCAL_MODEL = MODEL;
  process.env.ASSAY_LOCAL_MODEL_URI = UNREACHABLE; // must not be used
  const provider = localProvider.create(localProvider.configSchema.parse({ type: 'local' }), { dataDir: tmp(), log: () => undefined });
  assert.deepEqual(provider.models(), ['default']);
  const r = await provider.chat({ model: 'default', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }, call());
  assert.equal((r as Extract<ChatResult, { kind: 'response' }>).response.usage!.completion_tokens, 3);
  assert.equal(await pullModel({ dataDir: tmp() }), MODEL);
  await provider.close();

  process.env.ASSAY_LOCAL_MODEL = '/nonexistent/model.gguf';
  const p2 = localProvider.create(localProvider.configSchema.parse({ type: 'local' }), { dataDir: tmp(), log: () => undefined });
  await assert.rejects(p2.chat({ model: 'default', messages: [{ role: 'user', content: 'hi' }] }, call()), (e) =>
    assertUnavailable(e, /\/nonexistent\/model\.gguf does not exist/, /ASSAY_LOCAL_MODEL=/),
  );
  await p2.close();
});

/** A local HTTP server (not the network) serving the tiny model, with range support like a CDN. */
async function modelServer(): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const file = readFileSync(MODEL);
  const requests: string[] = [];
  const srv = createHttpServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.url !== '/m/tiny.gguf') return void res.writeHead(404).end();
    const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range?.[2] ? Number(range[2]) : file.length - 1;
    res.writeHead(range ? 206 : 200, {
      'content-length': end - start + 1,
      'accept-ranges': 'bytes',
      ...(range ? { 'content-range': `bytes ${start}-${end}/${file.length}` } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : file.subarray(start, end + 1));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/m/tiny.gguf`,
    requests,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}

test('first use downloads into <dataDir>/models once (concurrent first calls share it), with progress on stderr', async () => {
  const server = await modelServer();
  delete process.env.ASSAY_LOCAL_MODEL;
  process.env.ASSAY_LOCAL_MODEL_URI = server.url;
  const dataDir = tmp();
  const stderr: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (stderr.push(String(chunk)), true)) as typeof process.stderr.write;
  const logs: string[] = [];
  const provider = localProvider.create(localProvider.configSchema.parse({ type: 'local' }), { dataDir, log: (m) => logs.push(m) });
  try {
    const [chat, emb] = await Promise.all([
      provider.chat({ model: 'default', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }, call()),
      provider.embeddings({ model: 'default', input: 'hi' }, call()),
    ]);
    assert.equal(chat.kind, 'response');
    assert.equal(emb.data.length, 1);
  } finally {
    process.stderr.write = write;
    await provider.close();
    await server.close();
  }
  assert.equal(server.requests.filter((r) => r === 'HEAD /').length, 1, server.requests.join(', ')); // one preflight: one download
  assert.ok(stderr.some((l) => /tiny\.gguf.*100%/.test(l)), stderr.join(''));
  assert.ok(logs.some((l) => l.includes(`downloaded ${server.url} to ${join(dataDir, 'models', 'tiny.gguf')}`)), logs.join('\n'));
  // the server is gone now: the file on disk is found without it
  assert.equal(await pullModel({ dataDir, progress: false }), join(dataDir, 'models', 'tiny.gguf'));
});

function localConfigFor(models: Record<string, unknown>) {
  return localProvider.configSchema.parse({ type: 'local', models });
}
