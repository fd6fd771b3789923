/**
 * Crash proof (issue 14): OTLP and Langfuse ingest at load from several concurrent senders, the
 * server process killed with SIGKILL in the middle, a new server started on the same data: every
 * event that was acknowledged (a 2xx answer naming it as stored) is in the store, 0 lost. Gateway
 * calls answered before the kill are measured, not asserted: their spans wait up to one flush
 * interval (tracing.flush_interval_ms) in memory, and that is what a kill -9 can lose.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type StoreLocation } from '../src/store/index.js';
import { ADMIN_KEY } from './helpers/assay.js';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { storeKinds, type TestStore } from './helpers/stores.js';

const FIXTURE = new URL('./fixtures/crash-server.ts', import.meta.url).pathname;
const SENDERS = 6;
const SPANS_PER_BATCH = 20;
/** How long the load runs before the kill. */
const LOAD_MS = Number(process.env.ASSAY_CRASH_LOAD_MS ?? 2_000);
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const basic = (pub: string, secret: string) => `Basic ${Buffer.from(`${pub}:${secret}`).toString('base64')}`;

function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening: ${out}`)));
  });
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

interface Acked {
  ingested: Set<string>;
  gateway: Set<string>;
}

async function otlpBatch(url: string, key: string, acked: Acked): Promise<void> {
  const traceId = hex(16);
  const now = Date.now() * 1e6;
  const spans = Array.from({ length: SPANS_PER_BATCH }, () => ({ traceId, spanId: hex(8), name: 'crash-otlp', startTimeUnixNano: String(now), endTimeUnixNano: String(now + 1e6) }));
  const res = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }),
  });
  const body = (await res.json()) as { partialSuccess?: unknown };
  if (res.status === 200 && !body.partialSuccess) for (const s of spans) acked.ingested.add(s.spanId);
}

async function langfuseBatch(url: string, key: { id: string; key: string }, acked: Acked): Promise<void> {
  const traceId = `lf-${hex(12)}`;
  const timestamp = new Date().toISOString();
  // Event ids are unique: Langfuse ingestion acknowledges a repeated event id without writing it again.
  const obsIds = new Map<string, string>([[`ev-${traceId}`, traceId]]);
  const batch: unknown[] = [{ id: `ev-${traceId}`, type: 'trace-create', timestamp, body: { id: traceId, name: 'crash-langfuse' } }];
  for (let i = 1; i < SPANS_PER_BATCH; i++) {
    const id = `lf-${hex(8)}`;
    obsIds.set(`ev-${id}`, id);
    batch.push({ id: `ev-${id}`, type: 'span-create', timestamp, body: { id, traceId, name: 'crash-span' } });
  }
  const res = await fetch(`${url}/api/public/ingestion`, {
    method: 'POST',
    headers: { authorization: basic(key.id, key.key), 'content-type': 'application/json' },
    body: JSON.stringify({ batch }),
  });
  const body = (await res.json()) as { successes?: { id: string }[] };
  if (res.status >= 200 && res.status < 300) for (const s of body.successes ?? []) acked.ingested.add(obsIds.get(s.id)!);
}

async function chat(url: string, acked: Acked): Promise<void> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'up/m', messages: [{ role: 'user', content: 'crash' }] }),
  });
  await res.text();
  if (res.status === 200) acked.gateway.add(res.headers.get('x-assay-trace-id')!);
}

/** Which of these ids are stored, as observation ids or (`column: 'trace_id'`) trace ids. */
async function present(location: StoreLocation, column: 'id' | 'trace_id', ids: string[]): Promise<Set<string>> {
  const s = await openStore(location);
  try {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await s.db.kysely.selectFrom('observations').select(column).where(column, 'in', ids.slice(i, i + 500)).execute();
      for (const r of rows) found.add((r as Record<string, string>)[column]);
    }
    return found;
  } finally {
    await s.close();
  }
}

for (const kind of storeKinds) {
  describe(`kill -9 during ingest at load (${kind.name})`, { skip: kind.skip }, () => {
    let store: TestStore;
    let up: FakeOpenAI;
    let dataDir: string;
    let env: Record<string, string>;
    const children: ChildProcess[] = [];

    before(async () => {
      store = kind.make();
      up = await startFakeOpenAI();
      dataDir = mkdtempSync(join(tmpdir(), 'assay-crash-'));
      env = { ASSAY_CRASH_DATA_DIR: dataDir, ASSAY_DATABASE_URL: kind.name === 'postgres' ? store.url : join(dataDir, 'assay.db'), ASSAY_CRASH_UPSTREAM: up.url };
    });
    after(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await up?.close();
      await store?.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test('every acknowledged OTLP and Langfuse event is stored after a restart: 0 lost', async () => {
      const first = await startChild(env);
      children.push(first.child);
      const keyRes = await fetch(`${first.url}/api/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'crash ingest', scopes: ['ingest'] }),
      });
      assert.equal(keyRes.status, 201);
      const key = (await keyRes.json()) as { id: string; key: string };

      const acked: Acked = { ingested: new Set(), gateway: new Set() };
      let killed = false;
      const sender = async (n: number) => {
        for (let i = n; !killed; i++) {
          try {
            if (i % 3 === 0) await otlpBatch(first.url, key.key, acked);
            else if (i % 3 === 1) await langfuseBatch(first.url, key, acked);
            else await chat(first.url, acked);
          } catch {
            // the server went away mid-request: not acknowledged
          }
        }
      };
      const senders = Array.from({ length: SENDERS }, (_, n) => sender(n));
      await new Promise((r) => setTimeout(r, LOAD_MS));
      first.child.kill('SIGKILL');
      killed = true;
      await exited(first.child);
      await Promise.all(senders);

      const second = await startChild(env);
      children.push(second.child);
      const health = await fetch(`${second.url}/health`);
      assert.equal(health.status, 200, 'the restarted server answers');
      await health.text();

      const ingested = [...acked.ingested];
      assert.ok(ingested.length > 0, 'some events were acknowledged before the kill');
      const location: StoreLocation = kind.name === 'postgres' ? store.location : { dialect: 'sqlite', target: env.ASSAY_DATABASE_URL };
      const stored = await present(location, 'id', ingested);
      const lost = ingested.filter((id) => !stored.has(id));
      assert.deepEqual(lost.slice(0, 10), [], `${lost.length} of ${ingested.length} acknowledged ingest events lost`);

      const gateway = [...acked.gateway];
      const traced = await present(location, 'trace_id', gateway);
      console.log(
        `[crash ${kind.name}] ingest: ${ingested.length} acknowledged, 0 lost; gateway: ${gateway.length} calls answered 200, ` +
          `${gateway.length - traced.size} without a stored trace after kill -9 (flush interval 50 ms)`,
      );
      second.child.kill('SIGTERM');
      await exited(second.child);
    });
  });
}
