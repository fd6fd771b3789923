/**
 * Items from and to files: CSV columns (vars, promptfoo `__expected` syntax, the JSON columns),
 * JSONL shapes (Assay's, promptfoo test cases, OpenAI Evals samples), row errors with line and
 * column, and the export → import round trip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertionFromString, isAssertionSyntax } from './assertions.js';
import { itemsFromCsv, itemsToCsv } from './csv-items.js';
import { itemsFromJsonl, itemsToJsonl } from './jsonl.js';
import type { DatasetItem, ItemDraft } from './types.js';

const asItems = (drafts: ItemDraft[]): DatasetItem[] =>
  drafts.map((d, i) => ({ ...d, id: d.id ?? `gen-${i}`, version: 1, created_at: 0, updated_at: 0 }));

test('promptfoo assertion syntax', () => {
  assert.deepEqual(assertionFromString('contains:Paris'), { type: 'contains', value: 'Paris' });
  assert.deepEqual(assertionFromString('not-icontains:sorry'), { type: 'not-icontains', value: 'sorry' });
  assert.deepEqual(assertionFromString('similar(0.9):a greeting'), { type: 'similar', value: 'a greeting', threshold: 0.9 });
  assert.deepEqual(assertionFromString('similar:a greeting'), { type: 'similar', value: 'a greeting', threshold: 0.8 });
  assert.deepEqual(assertionFromString('similar:cosine(0.7):hi'), { type: 'similar:cosine', value: 'hi' , threshold: 0.7 });
  assert.deepEqual(assertionFromString('contains-any:a, b,c'), { type: 'contains-any', value: ['a', 'b', 'c'] });
  assert.deepEqual(assertionFromString('grade:is polite'), { type: 'llm-rubric', value: 'is polite' });
  assert.deepEqual(assertionFromString('fn: output.length < 10'), { type: 'javascript', value: 'output.length < 10' });
  assert.deepEqual(assertionFromString('file://checks/len.py'), { type: 'python', value: 'checks/len.py' });
  assert.deepEqual(assertionFromString('is-json'), { type: 'is-json' });
  assert.deepEqual(assertionFromString('Paris'), { type: 'equals', value: 'Paris' });
  assert.deepEqual(assertionFromString('unknown-type:x'), { type: 'equals', value: 'unknown-type:x' });
  assert.equal(isAssertionSyntax('Paris'), false);
  assert.equal(isAssertionSyntax('Note: Paris'), false);
  assert.equal(isAssertionSyntax('llm-rubric:ok'), true);
});

test('CSV: columns become vars; __expected is expected, or an assertion in type:value syntax; __expectedN are assertions', () => {
  const csv = [
    'question,context,__expected,__expected1,__expected2,__metric,__description',
    'What is 2+2?,math,4,,,,',
    '"Capital of France, please",geo,contains:Paris,icontains:paris,"llm-rubric:names the city, politely",accuracy,capital',
    'Say hi,,,hello,,,',
  ].join('\r\n');
  const { items, errors } = itemsFromCsv(csv);
  assert.deepEqual(errors, []);
  assert.deepEqual(items.map((i) => i.line), [2, 3, 4]);
  assert.deepEqual(items[0].item, { input: { vars: { question: 'What is 2+2?', context: 'math' } }, expected: '4', assert: null, metadata: null, source: null });
  assert.deepEqual(items[1].item.input, { vars: { question: 'Capital of France, please', context: 'geo' } });
  assert.equal(items[1].item.expected, null);
  assert.deepEqual(items[1].item.assert, [
    { type: 'contains', value: 'Paris', metric: 'accuracy' },
    { type: 'icontains', value: 'paris', metric: 'accuracy' },
    { type: 'llm-rubric', value: 'names the city, politely', metric: 'accuracy' },
  ]);
  assert.deepEqual(items[1].item.metadata, { description: 'capital' });
  assert.deepEqual(items[2].item.assert, [{ type: 'equals', value: 'hello' }], 'a plain __expectedN is equals, as in promptfoo');
  assert.deepEqual(items[2].item.input, { vars: { question: 'Say hi', context: '' } }, 'an empty cell is an empty string');
});

test('CSV: special columns (__id, __assert JSON, __metadata, __metadata:key, __threshold, __messages, __vars, __expected_json)', () => {
  const csv = [
    '__id,q,__assert,__metadata,__metadata:team,__threshold,__messages,__vars,__expected_json',
    'a1,hi,"[{""type"":""contains"",""value"":""hi"",""weight"":2}]","{""tags"":[""x""]}",ops,0.5,,,',
    'a2,,regex:^\\d+$,,,,"[{""role"":""user"",""content"":""2+2?""}]",,4',
    'a3,,,,,,,"{""n"":3,""list"":[1,2]}","{""answer"":4}"',
  ].join('\n');
  const { items, errors } = itemsFromCsv(csv);
  assert.deepEqual(errors, []);
  const [a1, a2, a3] = items.map((i) => i.item);
  assert.equal(a1.id, 'a1');
  assert.deepEqual(a1.assert, [{ type: 'contains', value: 'hi', weight: 2 }]);
  assert.deepEqual(a1.metadata, { tags: ['x'], team: 'ops', threshold: 0.5 });
  assert.deepEqual(a2.input, { messages: [{ role: 'user', content: '2+2?' }] });
  assert.deepEqual(a2.assert, [{ type: 'regex', value: '^\\d+$' }]);
  assert.equal(a2.expected, 4);
  assert.deepEqual(a3.input, { vars: { n: 3, list: [1, 2] } });
  assert.deepEqual(a3.expected, { answer: 4 });
});

test('CSV: every bad row is reported with its line and column', () => {
  const csv = [
    'q,__assert,__metadata,__messages',
    'ok,,,',
    'x,"[{""value"":1}]",,',
    'y,,not json,',
    'z,,,"[{""role"":""user"",""content"":""hi""}]"',
    'too,many,fields,here,extra',
    '"multi',
    'line",[oops,,',
  ].join('\n');
  const { errors } = itemsFromCsv(csv);
  const brief = errors.map((e) => [e.line, e.column]);
  assert.deepEqual(brief, [
    [3, '__assert'],
    [4, '__metadata'],
    [5, '__messages'],
    [6, undefined],
    [7, '__assert'],
  ]);
  assert.match(errors[0].message, /^assert\[0\]\.type is required/);
  assert.match(errors[2].message, /var columns of this row must be empty/);
  assert.match(errors[3].message, /5 fields, the header has 4/);
});

test('CSV: header problems and syntax errors', () => {
  assert.match(itemsFromCsv('q,q\n1,2\n').errors[0].message, /twice/);
  const unknown = itemsFromCsv('q,__prefix\n1,2\n').errors[0];
  assert.equal(unknown.column, '__prefix');
  assert.match(unknown.message, /unknown special column/);
  const syntax = itemsFromCsv('q\n"never closed\n');
  assert.deepEqual([syntax.errors[0].line, /never closed/.test(syntax.errors[0].message)], [2, true]);
});

test('JSONL: Assay, shorthand, promptfoo and OpenAI Evals shapes', () => {
  const lines = [
    '{"id":"a","input":{"messages":[{"role":"user","content":"hi"}]},"expected":"hello","metadata":{"k":1}}',
    '',
    '{"vars":{"city":"Paris"},"assert":[{"type":"icontains","value":"france"}],"description":"capital","threshold":0.5,"options":{"transform":"output.trim()"}}',
    '{"input":[{"role":"system","content":"Be brief."},{"role":"user","content":"2+2"}],"ideal":["4","four"]}',
    '{"input":"plain prompt","ideal":"x"}',
    '{"messages":[{"role":"user","content":"x"}],"expected":{"label":"spam"}}\r',
  ].join('\n');
  const { items, errors } = itemsFromJsonl('\uFEFF' + lines);
  assert.deepEqual(errors, []);
  assert.deepEqual(items.map((i) => i.line), [1, 3, 4, 5, 6]);
  const [a, pf, oe, single, short] = items.map((i) => i.item);
  assert.deepEqual(a, { id: 'a', input: { messages: [{ role: 'user', content: 'hi' }] }, expected: 'hello', assert: null, metadata: { k: 1 }, source: null });
  assert.deepEqual(pf.input, { vars: { city: 'Paris' } });
  assert.deepEqual(pf.assert, [{ type: 'icontains', value: 'france' }]);
  assert.deepEqual(pf.metadata, { description: 'capital', threshold: 0.5, options: { transform: 'output.trim()' } });
  assert.deepEqual(oe.input, { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: '2+2' }] });
  assert.deepEqual(oe.expected, ['4', 'four']);
  assert.deepEqual(single.input, { messages: [{ role: 'user', content: 'plain prompt' }] });
  assert.deepEqual(short.expected, { label: 'spam' });
});

test('JSONL: errors with line and field; a JSON array file is read too', () => {
  const text = [
    '{"input":{"messages":[{"role":"user","content":"a"}],"vars":{"x":1}}}',
    'not json',
    '{"vars":{"x":1},"messages":[{"role":"user","content":"b"}]}',
    '{"input":{"messages":[{"role":"robot","content":"c"}]}}',
    '{"vars":{"x":1},"assert":[{"value":"no type"}],"colour":"red"}',
    '{"expected":"no input"}',
  ].join('\n');
  const { errors, items } = itemsFromJsonl(text);
  assert.equal(items.length, 0);
  assert.deepEqual(errors.map((e) => [e.line, e.column]), [
    [1, 'input'],
    [2, undefined],
    [3, 'vars'],
    [4, 'input.messages[0].role'],
    [5, 'colour'],
    [5, 'assert[0].type'],
    [6, 'input'],
  ]);
  assert.match(errors[0].message, /not both/);
  assert.match(errors[1].message, /not valid JSON/);
  const arr = itemsFromJsonl('[{"vars":{"a":"1"}}, {"vars":{"a":"2"}}]');
  assert.deepEqual(arr.items.map((i) => [i.index, i.item.input]), [[0, { vars: { a: '1' } }], [1, { vars: { a: '2' } }]]);
});

const mixed: DatasetItem[] = asItems([
  { id: 'plain', input: { vars: { question: 'What is 2+2?', lang: 'en' } }, expected: '4', assert: [{ type: 'contains', value: '4' }], metadata: null, source: null },
  { id: 'quoted', input: { vars: { question: 'Say "hi", then\nstop', lang: 'en' } }, expected: null, assert: null, metadata: { tags: ['a'] }, source: null },
  { id: 'looks-like-assert', input: { vars: { question: 'x', lang: '' } }, expected: 'contains:oops', assert: null, metadata: null, source: null },
  { id: 'empty-expected', input: { vars: { question: 'y', lang: 'de' } }, expected: '', assert: null, metadata: null, source: null },
  { id: 'json-expected', input: { vars: { lang: 'fr', question: 'z' } }, expected: { n: [1, 2] }, assert: null, metadata: null, source: null },
  { id: 'missing-var', input: { vars: { question: 'only one' } }, expected: null, assert: null, metadata: null, source: null },
  { id: 'number-var', input: { vars: { question: 'n', lang: 3 } }, expected: null, assert: null, metadata: null, source: null },
  { id: 'chat', input: { messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'u' }] }, expected: 'ok', assert: null, metadata: null, source: { trace_id: 't1', observation_id: 'o1' } },
]);

const normalize = (items: DatasetItem[]) =>
  items.map((i) => JSON.parse(JSON.stringify({ id: i.id, input: i.input, expected: i.expected, assert: i.assert, metadata: i.metadata, source: i.source })));

test('CSV round trip: export → import gives the same items, and the same bytes when exported again', () => {
  const csv = itemsToCsv(mixed);
  assert.equal(csv.split('\n')[0], '__id,question,lang,__messages,__vars,__expected,__expected_json,__assert,__metadata,__source');
  const back = itemsFromCsv(csv);
  assert.deepEqual(back.errors, []);
  const again = asItems(back.items.map((l) => l.item));
  assert.deepEqual(normalize(again).map(sortKeys), normalize(mixed).map(sortKeys));
  assert.equal(itemsToCsv(again), csv, 'byte for byte');
});

test('JSONL round trip: export → import gives the same items, byte for byte', () => {
  const jsonl = itemsToJsonl(mixed);
  const back = itemsFromJsonl(jsonl);
  assert.deepEqual(back.errors, []);
  const again = asItems(back.items.map((l) => l.item));
  assert.deepEqual(normalize(again), normalize(mixed));
  assert.equal(itemsToJsonl(again), jsonl);
});

test('CSV export of only vars items has just the needed columns', () => {
  const csv = itemsToCsv(asItems([{ id: 'a', input: { vars: { q: 'x' } }, expected: 'y', assert: null, metadata: null, source: null }]));
  assert.equal(csv, '__id,q,__expected,__assert\na,x,y,\n');
  assert.equal(itemsToCsv([]), '__id,__expected,__assert\n');
});

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

test('toTestCase: the flat promptfoo shape an experiment takes', async () => {
  const { toTestCase } = await import('./item.js');
  assert.deepEqual(
    toTestCase({ id: 'a', input: { vars: { q: 'x' } }, expected: '4', assert: [{ type: 'contains', value: '4' }], metadata: { description: 'd', threshold: 0.5, k: 1 } }),
    { id: 'a', vars: { q: 'x' }, expected: '4', assert: [{ type: 'contains', value: '4' }], metadata: { description: 'd', threshold: 0.5, k: 1 }, description: 'd', threshold: 0.5 },
  );
  assert.deepEqual(toTestCase({ id: 'b', input: { messages: [{ role: 'user', content: 'hi' }] }, expected: null, assert: null, metadata: null }), {
    id: 'b',
    messages: [{ role: 'user', content: 'hi' }],
  });
});
