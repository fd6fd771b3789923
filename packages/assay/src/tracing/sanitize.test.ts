import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sanitizer } from './sanitize.js';
import { emptyObservation } from './span.js';

const deep = (levels: number): unknown => {
  let v: unknown = 'bottom';
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};
const depthOf = (v: unknown): number => {
  let d = 0;
  while (v && typeof v === 'object') {
    v = (v as { a: unknown }).a;
    d++;
  }
  return d;
};

test('a clean value is returned as is (copy-on-write), with a byte estimate', () => {
  const s = new Sanitizer();
  const v = { messages: [{ role: 'user', content: 'hello' }], n: 1, ok: true, none: null };
  const out = s.value(v);
  assert.equal(out.value, v);
  assert.ok(out.bytes >= JSON.stringify(v).length && out.bytes < 1_000, `estimate ${out.bytes}`);
  assert.deepEqual(s.stats, { truncated: 0, repaired: 0 });
});

test('lone surrogates become U+FFFD and NUL is replaced, in values and keys; the input is not changed', () => {
  const s = new Sanitizer();
  const v = { ['k\u0000']: ['ok', 'half an emoji \ud83d', 'nul\u0000here'] };
  const out = s.value(v).value as Record<string, string[]>;
  assert.deepEqual(out, { 'k\uFFFD': ['ok', 'half an emoji \uFFFD', 'nul\uFFFDhere'] });
  assert.equal(v['k\u0000'][1], 'half an emoji \ud83d', 'the original is untouched');
  assert.ok(JSON.stringify(out).length > 0);
  assert.equal(s.stats.repaired, 3);
});

test('nesting 50,000 levels deep is capped at max_depth with a visible marker, without a stack overflow', () => {
  const s = new Sanitizer({ maxDepth: 64, maxStringLength: 1_000, maxValueBytes: 1_000_000 });
  const out = s.value(deep(50_000)).value;
  assert.equal(depthOf(out), 64);
  assert.match(JSON.stringify(out), /\[truncated: nested deeper than 64 levels\]/);
  assert.equal(s.stats.truncated, 1);
});

test('oversized strings and values are cut with a marker saying how much', () => {
  const s = new Sanitizer({ maxDepth: 64, maxStringLength: 10, maxValueBytes: 100 });
  assert.equal(s.value('x'.repeat(25)).value, 'xxxxxxxxxx…[truncated 15 of 25 characters]');
  const big = Array.from({ length: 100 }, (_, i) => i);
  const out = s.value(big).value as unknown[];
  assert.ok(out.length < 100);
  assert.match(String(out.at(-1)), /^\[truncated: \d+ more items\]$/);
  const obj = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`key${i}`, i]));
  assert.match(JSON.stringify(s.value(obj).value), /"…":"\[truncated: \d+ more keys\]"/);
});

test('non-finite numbers, bigints, binary data, cycles and __proto__ keys become plain, safe JSON', () => {
  const s = new Sanitizer();
  const cyc: Record<string, unknown> = { name: 'c' };
  cyc.self = cyc;
  const parsed = JSON.parse('{"__proto__": {"polluted": true}, "x": 1e400}');
  const v = { nan: NaN, inf: -Infinity, big: 12345678901234567890n, buf: Buffer.from('abc'), cyc, parsed, when: new Date(0) };
  const out = s.value(v).value as Record<string, any>;
  const json = JSON.parse(JSON.stringify(out));
  assert.deepEqual(json.nan, 'NaN');
  assert.equal(json.inf, '-Infinity');
  assert.equal(json.big, '12345678901234567890');
  assert.equal(json.buf, '[binary data: 3 bytes]');
  assert.equal(json.cyc.self, '[circular reference]');
  assert.equal(json.parsed.x, 'Infinity');
  assert.deepEqual(Object.getOwnPropertyDescriptor(out.parsed, '__proto__')?.value, { polluted: true }, 'kept as an own key');
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was changed');
  assert.equal(json.when, '1970-01-01T00:00:00.000Z');
});

test('an observation is cleaned in place: JSON fields, labels and numeric columns fit their column types', () => {
  const s = new Sanitizer({ maxDepth: 8, maxStringLength: 1_000, maxValueBytes: 100_000 });
  const o = emptyObservation({ trace_id: 't\u0000', type: 'span', name: 'n\ud800' });
  o.metadata = deep(100) as Record<string, unknown>;
  o.input_tokens = 1.6;
  o.output_tokens = 2 ** 40;
  o.cost = NaN;
  o.start_time = Infinity;
  o.user_id = 'u'.repeat(5_000);
  const bytes = s.observation(o);
  assert.ok(bytes > 400);
  assert.equal(o.trace_id, 't\uFFFD');
  assert.equal(o.name, 'n\uFFFD');
  assert.equal(depthOf(o.metadata), 8);
  assert.equal(o.input_tokens, 2);
  assert.equal(o.output_tokens, null);
  assert.equal(o.cost, null);
  assert.ok(Number.isFinite(o.start_time));
  assert.ok(o.user_id!.length < 1_100);
});

test('a string that was cut counts at its cut size: the keys after it are kept', () => {
  const s = new Sanitizer({ maxDepth: 64, maxStringLength: 100, maxValueBytes: 1_000 });
  const out = s.value({ big: 'z'.repeat(10_000), after: 'kept' }).value as Record<string, string>;
  assert.equal(out.after, 'kept');
  assert.match(out.big, /…\[truncated 9900 of 10000 characters\]$/);
});
