import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AssayError } from '../../errors.js';
import { createRedactor } from '../../tracing/redact.js';
import { exportFiles, exportRows, splitOf } from './export.js';
import { validateRow } from './schemas.js';
import { blue, comp, green, pref, prov } from './test-fixtures.js';

describe('schemas', () => {
  test('closed objects: extra keys, wrong roles and wrong types fail', () => {
    assert.equal(validateRow('trl-preference', 'standard', { prompt: 'p', chosen: 'c', rejected: 'r' }), null);
    assert.match(validateRow('trl-preference', 'standard', { prompt: 'p', chosen: 'c', rejected: 'r', extra: 1 }) ?? '', /must not have additional property 'extra'/);
    assert.match(validateRow('trl-unpaired', 'standard', { prompt: 'p', completion: 'c', label: 'yes' }) ?? '', /label must be boolean/);
    const dpo = (role: string) => ({ input: { messages: [{ role: 'user', content: 'q' }] }, preferred_output: [{ role, content: 'a' }], non_preferred_output: [{ role: 'assistant', content: 'b' }] });
    assert.equal(validateRow('openai-dpo', 'conversational', dpo('assistant')), null);
    assert.match(validateRow('openai-dpo', 'conversational', dpo('user')) ?? '', /preferred_output\/0\/role must be "assistant"/);
    const twoOutputs = { ...dpo('assistant'), preferred_output: [{ role: 'assistant', content: 'a' }, { role: 'assistant', content: 'c' }] };
    assert.match(validateRow('openai-dpo', 'conversational', twoOutputs) ?? '', /must NOT have more than 1 items/);
    const weighted = { messages: [{ role: 'user', content: 'q', weight: 1 }, { role: 'assistant', content: 'a' }] };
    assert.notEqual(validateRow('openai-sft', 'conversational', weighted), null);
    const strArgs = { prompt: [{ role: 'user', content: 'q' }], completion: [{ role: 'assistant', tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{}' } }] }] };
    assert.match(validateRow('trl-prompt-completion', 'conversational', strArgs) ?? '', /arguments must be object/);
  });
});

describe('exportRows options', () => {
  test('bad options throw a 400 AssayError', () => {
    assert.throws(() => exportRows('trl-preference', [], { testFraction: 1.5 }), (e: unknown) => e instanceof AssayError && e.status === 400);
    assert.throws(() => exportRows('openai-dpo', [], { style: 'standard' }), /no standard \(text\) style/);
    assert.throws(() => exportRows('nope' as 'openai-dpo', []), /unknown export format/);
  });

  test('dedupe: identical lines, and preferences with the same prompt/chosen/rejected but another margin', () => {
    const records = [pref('p1', { margin: 1 }), pref('p2', { margin: 1 }), pref('p3', { margin: 2 }), pref('p4', { chosen: green, rejected: blue })];
    const r = exportRows('trl-preference', records);
    assert.deepEqual(r.provenance.map((p) => p.id), ['p1', 'p4']);
    assert.deepEqual(r.skipped, [{ id: 'p2', reason: 'duplicate of p1' }, { id: 'p3', reason: 'duplicate of p1' }]);
    assert.equal(r.stats.duplicates, 2);
    assert.equal(exportRows('trl-preference', records, { dedupe: false }).rows.length, 4);
    const sft = exportRows('openai-sft', [comp('c1'), comp('c2'), comp('c3', { weight: 1 })]);
    assert.deepEqual(sft.provenance.map((p) => p.id), ['c1', 'c3']);
  });

  test('split: deterministic from the seed, stable when records are added, fraction honoured', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `rec_${i}`);
    const records = ids.map((id) => comp(id, { completion: { role: 'assistant', content: `answer ${id}` } }));
    const a = exportRows('trl-prompt-completion', records, { seed: 's1', testFraction: 0.2 });
    const b = exportRows('trl-prompt-completion', records, { seed: 's1', testFraction: 0.2 });
    assert.deepEqual(a.rows, b.rows);
    assert.ok(a.stats.test > 150 && a.stats.test < 250, `test rows: ${a.stats.test}`);
    assert.equal(a.stats.train + a.stats.test, 1000);
    const more = [...records.slice(0, 500), comp('new_1', { completion: { role: 'assistant', content: 'n1' } }), ...records.slice(500)];
    const c = exportRows('trl-prompt-completion', more, { seed: 's1', testFraction: 0.2 });
    const splitById = (r: typeof a) => new Map(r.provenance.map((p) => [p.id, p.split]));
    const before = splitById(a);
    const after = splitById(c);
    for (const id of ids) assert.equal(after.get(id), before.get(id));
    const other = exportRows('trl-prompt-completion', records, { seed: 's2', testFraction: 0.2 });
    assert.notDeepEqual(other.provenance.map((p) => p.split), a.provenance.map((p) => p.split));
    assert.equal(splitOf('x', 's', 0), 'train');
    assert.equal(splitOf('x', 's', 1), 'test');
  });

  test('redaction: an email in the prompt is scrubbed before writing', () => {
    const redact = createRedactor(['emails']);
    const prompt = { messages: [{ role: 'user' as const, content: 'Mail ada@example.com the answer' }] };
    const r = exportRows('trl-preference', [pref('p1', { prompt })], { style: 'standard', redact });
    assert.equal(r.rows[0].line, '{"prompt":"Mail [REDACTED_EMAIL] the answer","chosen":"It is blue.","rejected":"It is green."}');
    const plain = exportRows('trl-preference', [pref('p1', { prompt })], { style: 'standard' });
    assert.match(plain.rows[0].line, /ada@example\.com/);
  });

  test('filters: minAgreement, minMargin, queue, question, dates', () => {
    const records = [
      pref('hi', { margin: 3, provenance: prov({ agreement: 0.9, queue: 'q1', question: 'helpful', created_at: 2000 }) }),
      pref('lo', { chosen: { role: 'assistant', content: 'Blue.' }, margin: 0.5, provenance: prov({ agreement: 0.4, queue: 'q2', created_at: 1000 }) }),
      pref('unk', { chosen: { role: 'assistant', content: 'Azure.' }, provenance: prov({ agreement: null }) }),
    ];
    const ids = (o: Parameters<typeof exportRows>[2]) => exportRows('openai-dpo', records, o).provenance.map((p) => p.id);
    assert.deepEqual(ids({}), ['hi', 'lo', 'unk']);
    assert.deepEqual(ids({ minAgreement: 0.5 }), ['hi']);
    assert.deepEqual(ids({ minMargin: 1 }), ['hi']);
    assert.deepEqual(ids({ minMargin: 0.5 }), ['hi', 'lo']);
    assert.deepEqual(ids({ queue: 'q2' }), ['lo']);
    assert.deepEqual(ids({ question: 'helpful' }), ['hi']);
    assert.deepEqual(ids({ since: 1500 }), ['hi']);
    assert.deepEqual(ids({ until: 1500 }), ['lo']);
    const r = exportRows('openai-dpo', records, { minAgreement: 0.5 });
    assert.deepEqual(r.skipped, [{ id: 'lo', reason: 'agreement 0.4 is below 0.5' }, { id: 'unk', reason: 'agreement unknown (minAgreement is set)' }]);
    assert.equal(r.stats.filtered, 2);
  });

  test('provenance: one entry per written row, same order, rejected records leave none', () => {
    const records = [
      pref('p1', { provenance: prov({ trace_ids: ['t1', 't2'], annotators: ['a', 'b'], agreement: 0.8, prompt_name: 'support', prompt_version: 3 }) }),
      pref('bad', { chosen: { role: 'user', content: 'x' } }),
      pref('p2', { chosen: { role: 'assistant', content: 'Blue!' }, source: 'rating_gap', margin: 2 }),
    ];
    const r = exportRows('trl-preference', records, { seed: 'k', testFraction: 0.5 });
    assert.equal(r.rows.length, 2);
    assert.equal(r.provenance.length, 2);
    assert.deepEqual(r.rejected.map((x) => x.id), ['bad']);
    assert.deepEqual(r.provenance.map((p) => p.split), r.rows.map((x) => x.split));
    assert.equal(
      JSON.stringify(r.provenance[0]),
      `{"id":"p1","split":"${r.rows[0].split}","source":"pairwise","trace_ids":["t1","t2"],"annotators":["a","b"],"agreement":0.8,"prompt_name":"support","prompt_version":3}`,
    );
    assert.equal(JSON.stringify(r.provenance[1]), `{"id":"p2","split":"${r.rows[1].split}","source":"rating_gap","trace_ids":["tr_1"],"annotators":["ann_a"],"agreement":null,"prompt_name":null,"prompt_version":null}`);
    const files = exportFiles(r);
    const lines = (s: string) => s.split('\n').filter(Boolean);
    assert.equal(lines(files.train).length + lines(files.test).length, 2);
    assert.equal(lines(files.provenance).length, 2);
    assert.ok(files.provenance.endsWith('\n'));
  });
});
