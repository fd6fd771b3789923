import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Score } from '../../store/scores.js';
import type { Observation } from '../span.js';
import { LangfuseIngestor, type IngestTarget } from './batch.js';

/** An in-memory store standing in for TraceIngest. */
class MemoryTarget implements IngestTarget {
  rows = new Map<string, Observation>();
  scoreRows = new Map<string, Score>();
  writes = 0;
  fail: Error | null = null;
  async observations(rows: Observation[], mode: 'ignore' | 'replace') {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.fail) throw this.fail;
    this.writes++;
    for (const r of rows) {
      const k = `${r.trace_id}/${r.id}`;
      if (mode === 'ignore' && this.rows.has(k)) continue;
      this.rows.set(k, structuredClone(r));
    }
    return [];
  }
  async stored(projectId: string, refs: readonly { trace_id: string; id: string }[]) {
    await new Promise((resolve) => setImmediate(resolve)); // a real store answers later: lets batches interleave
    return refs.map((r) => this.rows.get(`${r.trace_id}/${r.id}`)).filter((o): o is Observation => !!o && o.project_id === projectId).map((o) => structuredClone(o));
  }
  async scoreBatch(scores: Score[]) {
    if (this.fail) throw this.fail;
    for (const s of scores) this.scoreRows.set(s.id, s);
    return [];
  }
  get(trace: string, id: string) {
    return this.rows.get(`${trace}/${id}`);
  }
}

const caller = { projectId: 'default', keyId: 'key_1' };
const T0 = Date.parse('2026-01-31T12:00:00.000Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();
let n = 0;
const ev = (type: string, body: Record<string, unknown>, id = `ev-${++n}`) => ({ id, type, timestamp: iso(0), body });

test('trace → span → generation → update → trace update: one merged row per observation, parents, usage, ttft', async () => {
  const t = new MemoryTarget();
  const lf = new LangfuseIngestor(t);
  const r = await lf.process(
    [
      ev('trace-create', { id: 't1', name: 'chat', userId: 'u1', sessionId: 's1', tags: ['a'], metadata: { k: 1 }, release: 'r1', environment: 'prod', timestamp: iso(0) }),
      ev('span-create', { id: 's', traceId: 't1', name: 'retrieve', startTime: iso(1), metadata: 'plain' }),
      ev('generation-create', {
        id: 'g', traceId: 't1', parentObservationId: 's', name: 'llm', startTime: iso(10), model: 'gpt-4o-mini',
        modelParameters: { temperature: 0.2 }, input: [{ role: 'user', content: 'hi' }], completionStartTime: iso(30), promptName: 'p', promptVersion: 3,
      }),
      ev('generation-update', { id: 'g', traceId: 't1', endTime: iso(110), output: 'hello', usage: { input: 10, output: 5 }, metadata: { extra: true } }),
      ev('span-update', { id: 's', traceId: 't1', endTime: iso(200), startTime: iso(99) }),
      ev('trace-create', { id: 't1', tags: ['b'], output: 'done', metadata: { k2: 2 } }),
    ],
    caller,
  );
  assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
  assert.equal(r.successes.length, 6);
  assert.ok(r.successes.every((s) => s.status === 201));
  assert.equal(t.rows.size, 3);

  const root = t.get('t1', 't1')!;
  assert.equal(root.parent_id, null);
  assert.equal(root.type, 'span');
  assert.equal(root.name, 'chat');
  assert.equal(root.output, 'done');
  assert.deepEqual(root.tags, ['a', 'b']);
  assert.deepEqual(root.metadata, { k: 1, k2: 2 });
  assert.equal(root.start_time, T0);

  const span = t.get('t1', 's')!;
  assert.equal(span.parent_id, 't1');
  assert.equal(span.start_time, T0 + 1, 'startTime never changes after the first write');
  assert.equal(span.end_time, T0 + 200);
  assert.equal(span.latency_ms, 199);
  assert.deepEqual(span.metadata, { metadata: 'plain' });
  assert.equal(span.input_tokens, null);

  const g = t.get('t1', 'g')!;
  assert.equal(g.type, 'generation');
  assert.equal(g.parent_id, 's');
  assert.equal(g.name, 'llm');
  assert.deepEqual(g.input, [{ role: 'user', content: 'hi' }]);
  assert.equal(g.output, 'hello');
  assert.equal(g.end_time, T0 + 110);
  assert.equal(g.latency_ms, 100);
  assert.equal(g.ttft_ms, 20);
  assert.equal(g.input_tokens, 10);
  assert.equal(g.output_tokens, 5);
  assert.equal(g.total_tokens, 15);
  assert.equal(g.prompt_name, 'p');
  assert.equal(g.prompt_version, 3);
  assert.deepEqual(g.metadata, { model_parameters: { temperature: 0.2 }, extra: true });
  // trace-level fields copied onto the observations
  for (const o of [span, g]) {
    assert.equal(o.user_id, 'u1');
    assert.equal(o.session_id, 's1');
    assert.equal(o.release, 'r1');
    assert.equal(o.environment, 'prod');
    assert.deepEqual(o.tags, ['a', 'b']);
  }
});

test('updates in a later batch merge with the stored row; type and start never change; computed cost cleared', async () => {
  const t = new MemoryTarget();
  const lf = new LangfuseIngestor(t);
  await lf.process([ev('trace-create', { id: 't2', userId: 'u2' }), ev('generation-create', { id: 'g', traceId: 't2', name: 'x', startTime: iso(0), tags: [] })], caller);
  // pretend the pricer priced it
  const stored = t.get('t2', 'g')!;
  stored.cost = 9;
  stored.cost_details = { total: 9, source: 'computed' };
  stored.price_version = 'v1';
  const r = await lf.process(
    [ev('span-update', { id: 'g', traceId: 't2', endTime: iso(50), startTime: iso(20), level: 'ERROR', statusMessage: 'boom', usageDetails: { input: 3, output: 4 } })],
    caller,
  );
  assert.equal(r.errors.length, 0);
  const g = t.get('t2', 'g')!;
  assert.equal(g.type, 'generation');
  assert.equal(g.name, 'x');
  assert.equal(g.start_time, T0);
  assert.equal(g.end_time, T0 + 50);
  assert.equal(g.status, 'error');
  assert.equal(g.error, 'boom');
  assert.equal(g.total_tokens, 7);
  assert.equal(g.cost, null, 'a computed cost is recomputed by the pricer for the merged usage');
  assert.equal(g.user_id, 'u2', 'trace fields come from the stored root');
});

test('provider cost wins; events end when they start; an observation without trace-create still writes', async () => {
  const t = new MemoryTarget();
  const lf = new LangfuseIngestor(t);
  await lf.process(
    [
      ev('generation-create', { id: 'g', traceId: 't3', startTime: iso(0), usage: { input: 1, output: 1, totalCost: 0.5 } }),
      ev('event-create', { id: 'e', traceId: 't3', startTime: iso(5), name: 'click' }),
    ],
    caller,
  );
  const g = t.get('t3', 'g')!;
  assert.equal(g.parent_id, 't3');
  assert.equal(g.cost, 0.5);
  assert.equal((g.cost_details as Record<string, unknown>).source, 'provider');
  const e = t.get('t3', 'e')!;
  assert.equal(e.type, 'event');
  assert.equal(e.end_time, T0 + 5);
  // the trace-create arrives later: the root is written, the observations are kept
  await lf.process([ev('trace-create', { id: 't3', name: 'late', timestamp: iso(0) })], caller);
  assert.equal(t.get('t3', 't3')!.name, 'late');
  assert.equal(t.rows.size, 3);
  assert.equal(t.get('t3', 'g')!.cost, 0.5);
});

test('mixed good and bad events: 400 entries name the field, the good ones are stored', async () => {
  const t = new MemoryTarget();
  const lf = new LangfuseIngestor(t);
  const r = await lf.process(
    [
      ev('span-create', { id: 'ok', traceId: 't4', startTime: iso(0) }, 'good'),
      ev('span-create', { id: 'bad', traceId: 't4', startTime: 'yesterday' }, 'bad-time'),
      ev('generation-create', { id: 'g', traceId: 't4', usage: { input: -1 } }, 'bad-usage'),
      ev('span-update', { traceId: 't4' }, 'no-id'),
      ev('nonsense', {}, 'bad-type'),
      { id: 'no-body', type: 'span-create', timestamp: iso(0) },
      'not an object',
      ev('score-create', { name: 'q', value: 'x', dataType: 'NUMERIC', traceId: 't4' }, 'bad-score'),
      ev('score-create', { name: 'q', value: 1 }, 'score-without-target'),
      ev('generation-create', { id: 'g2', traceId: 't4', level: 'LOUD' }, 'bad-level'),
    ],
    caller,
  );
  assert.deepEqual(r.successes, [{ id: 'good', status: 201 }]);
  const byId = Object.fromEntries(r.errors.map((e) => [e.id, e]));
  assert.ok(r.errors.every((e) => e.status === 400));
  assert.match(byId['bad-time'].message, /body\.startTime/);
  assert.match(byId['bad-usage'].message, /body\.usage\.input/);
  assert.match(byId['no-id'].message, /body\.id/);
  assert.match(byId['bad-type'].message, /unknown event type "nonsense"/);
  assert.match(byId['no-body'].message, /body: is required/);
  assert.match(byId['batch[6]'].message, /must be an object/);
  assert.match(byId['bad-score'].message, /body\.value/);
  assert.match(byId['score-without-target'].message, /traceId/);
  assert.match(byId['bad-level'].message, /body\.level/);
  assert.equal(t.rows.size, 1);
});

test('envelope ids dedupe within a batch and across batches; sdk-log is acknowledged', async () => {
  const t = new MemoryTarget();
  const lf = new LangfuseIngestor(t);
  const e1 = ev('span-create', { id: 's', traceId: 't5', startTime: iso(0), tags: ['x'] }, 'dup');
  const r1 = await lf.process([e1, e1, ev('sdk-log', { log: 'hi' }, 'log')], caller);
  assert.deepEqual(r1.successes.map((s) => s.id), ['dup', 'dup', 'log']);
  t.get('t5', 's')!.name = 'changed elsewhere';
  const writes = t.writes;
  const r2 = await lf.process([e1], caller);
  assert.deepEqual(r2.successes, [{ id: 'dup', status: 201 }]);
  assert.equal(t.writes, writes, 'a repeated envelope id is not applied again');
  assert.equal(t.get('t5', 's')!.name, 'changed elsewhere');
});

test('store failure: the affected events are 500 entries, and are not remembered as applied', async () => {
  const t = new MemoryTarget();
  const lf = new LangfuseIngestor(t);
  t.fail = new Error('disk full');
  const e = ev('span-create', { id: 's', traceId: 't6' }, 'e1');
  const s = ev('score-create', { traceId: 't6', name: 'q', value: true }, 'e2');
  const r = await lf.process([e, s], caller);
  assert.deepEqual(r.errors.map((x) => [x.id, x.status]), [['e1', 500], ['e2', 500]]);
  assert.match(r.errors[0].message, /disk full/);
  t.fail = null;
  const r2 = await lf.process([e, s], caller);
  assert.equal(r2.successes.length, 2);
  assert.equal(t.rows.size, 1);
  const score = t.scoreRows.get('e2')!;
  assert.equal(score.data_type, 'BOOLEAN');
  assert.equal(score.value, 1);
  assert.equal(score.source, 'langfuse');
  assert.equal(score.author, 'key_1');
});

test('scores: types inferred, body id wins, timestamp from body or envelope', async () => {
  const t = new MemoryTarget();
  const lf = new LangfuseIngestor(t);
  await lf.process(
    [
      ev('score-create', { id: 'sc1', traceId: 't', observationId: 'o', name: 'acc', value: 0.9, comment: 'ok', metadata: [1], timestamp: iso(7) }, 'x1'),
      ev('score-create', { traceId: 't', name: 'label', value: 'good', configId: 'c', environment: 'dev' }, 'x2'),
      ev('score-create', { sessionId: 'sess', name: 'b', value: 0, dataType: 'BOOLEAN' }, 'x3'),
    ],
    caller,
  );
  const a = t.scoreRows.get('sc1')!;
  assert.equal(a.data_type, 'NUMERIC');
  assert.equal(a.value, 0.9);
  assert.equal(a.observation_id, 'o');
  assert.deepEqual(a.metadata, { metadata: [1] });
  assert.equal(a.timestamp, T0 + 7);
  const b = t.scoreRows.get('x2')!;
  assert.equal(b.data_type, 'CATEGORICAL');
  assert.equal(b.string_value, 'good');
  assert.equal(b.value, null);
  assert.equal(b.timestamp, T0);
  assert.equal(b.environment, 'dev');
  const c = t.scoreRows.get('x3')!;
  assert.equal(c.session_id, 'sess');
  assert.equal(c.string_value, 'false');
});

test('legacy observation-create/-update and observations without traceId', async () => {
  const t = new MemoryTarget();
  const lf = new LangfuseIngestor(t);
  const r = await lf.process(
    [
      ev('observation-create', { id: 'o', traceId: 't7', type: 'GENERATION', usage: { promptTokens: 2, completionTokens: 3 } }),
      ev('observation-update', { id: 'o', traceId: 't7', type: 'SPAN', output: 'y' }),
      ev('observation-create', { id: 'bad', traceId: 't7' }, 'no-type'),
      ev('span-create', { id: 'alone', name: 'solo' }),
      ev('span-update', { id: 'alone', output: 1 }),
    ],
    caller,
  );
  assert.deepEqual(r.errors.map((e) => e.id), ['no-type']);
  const o = t.get('t7', 'o')!;
  assert.equal(o.type, 'generation');
  assert.equal(o.total_tokens, 5);
  assert.equal(o.output, 'y');
  const alone = t.get('alone', 'alone')!;
  assert.equal(alone.parent_id, null, 'without a traceId an observation is its own trace');
  assert.equal(alone.output, 1);
  assert.equal(alone.name, 'solo');
});

test('concurrent batches on the same observation do not lose fields', async () => {
  const t = new MemoryTarget();
  const lf = new LangfuseIngestor(t);
  await Promise.all([
    lf.process([ev('generation-create', { id: 'g', traceId: 't8', name: 'n', input: 'in', startTime: iso(0) })], caller),
    lf.process([ev('generation-update', { id: 'g', traceId: 't8', output: 'out', endTime: iso(9) })], caller),
    lf.process([ev('generation-update', { id: 'g', traceId: 't8', metadata: { m: 1 } })], caller),
  ]);
  const g = t.get('t8', 'g')!;
  assert.equal(g.name, 'n');
  assert.equal(g.input, 'in');
  assert.equal(g.output, 'out');
  assert.deepEqual(g.metadata, { m: 1 });
});

test('an update queued before its create (SDKs reorder) still keeps the real start time', async () => {
  const t = new MemoryTarget();
  const lf = new LangfuseIngestor(t);
  const late = (type: string, body: Record<string, unknown>) => ({ id: `ev-${++n}`, type, timestamp: iso(500), body });
  // in one batch
  await lf.process([late('generation-update', { id: 'g', traceId: 't9', endTime: iso(100) }), late('generation-create', { id: 'g', traceId: 't9', name: 'n', startTime: iso(0), completionStartTime: iso(40) })], caller);
  let g = t.get('t9', 'g')!;
  assert.equal(g.start_time, T0);
  assert.equal(g.latency_ms, 100);
  // across batches: the update is written first with its envelope time, the create corrects it
  await lf.process([late('span-update', { id: 's', traceId: 't9', endTime: iso(300) })], caller);
  assert.equal(t.get('t9', 's')!.start_time, T0 + 500);
  await lf.process([late('span-create', { id: 's', traceId: 't9', name: 'sp', startTime: iso(200) })], caller);
  const s = t.get('t9', 's')!;
  assert.equal(s.start_time, T0 + 200);
  assert.equal(s.latency_ms, 100);
  // an update never moves the start
  await lf.process([late('generation-update', { id: 'g', traceId: 't9', startTime: iso(-50) })], caller);
  g = t.get('t9', 'g')!;
  assert.equal(g.start_time, T0);
  assert.equal(g.ttft_ms, 40);
});

test('the recent-id memory is bounded', async () => {
  const t = new MemoryTarget();
  const lf = new LangfuseIngestor(t, { recentIds: 2 });
  const a = ev('span-create', { id: 'a', traceId: 't10' }, 'a');
  await lf.process([a, ev('span-create', { id: 'b', traceId: 't10' }, 'b'), ev('span-create', { id: 'c', traceId: 't10' }, 'c')], caller);
  const writes = t.writes;
  await lf.process([a], caller); // 'a' was evicted: applied again (harmless: the merge gives the same row)
  assert.equal(t.writes, writes + 1);
});

test("rows the gateway or another key wrote are not the caller's: such events fail alone with a 403, an admin may correct them", async () => {
  const t = new MemoryTarget();
  const lf = new LangfuseIngestor(t);
  await lf.process([ev('span-create', { id: 'theirs', traceId: 'tx', name: 'theirs' })], { projectId: 'default', keyId: 'key_2' });
  const gw = { ...(t.get('tx', 'theirs') as Observation), id: 'gw', origin: 'gateway' as const, key_id: 'key_1', name: 'call' };
  t.rows.set('tx/gw', gw);
  const r = await lf.process(
    [
      ev('span-update', { id: 'theirs', traceId: 'tx', name: 'stolen' }, 'a'),
      ev('generation-update', { id: 'gw', traceId: 'tx', name: 'forged', costDetails: { total: 99 } }, 'b'),
      ev('span-create', { id: 'mine', traceId: 'tx', name: 'mine' }, 'c'),
    ],
    caller,
  );
  assert.deepEqual(r.successes.map((s) => s.id), ['c']);
  assert.deepEqual(r.errors.map((e) => [e.id, e.status]), [['a', 403], ['b', 403]]);
  assert.match(r.errors[0].message, /written by another key/);
  assert.match(r.errors[1].message, /written by the gateway/);
  assert.equal(t.get('tx', 'theirs')!.name, 'theirs');
  assert.equal(t.get('tx', 'gw')!.name, 'call');
  assert.equal(t.get('tx', 'mine')!.origin, 'ingest');
  const admin = await lf.process([ev('span-update', { id: 'gw', traceId: 'tx', name: 'fixed' })], { ...caller, admin: true });
  assert.deepEqual(admin.errors, []);
  assert.equal(t.get('tx', 'gw')!.name, 'fixed');
});
