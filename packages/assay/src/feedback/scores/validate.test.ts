import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssayError } from '../../errors.js';
import { TokenBuckets } from './rate-limit.js';
import { scoreConfigInputSchema, type ScoreConfig } from './types.js';
import { checkAgainstConfig } from './validate.js';

const base = { id: 'sc_1', project_id: 'default', description: null, archived: false, created_by: null, created_at: 0, updated_at: 0 };
const numeric: ScoreConfig = { ...base, name: 'quality', data_type: 'NUMERIC', min: 0, max: 5, categories: null };
const categorical: ScoreConfig = {
  ...base,
  name: 'tone',
  data_type: 'CATEGORICAL',
  min: null,
  max: null,
  categories: [{ label: 'polite', value: 1 }, { label: 'rude', value: 0 }],
};
const bool: ScoreConfig = { ...base, name: 'ok', data_type: 'BOOLEAN', min: null, max: null, categories: null };
const text: ScoreConfig = { ...base, name: 'note', data_type: 'TEXT', min: null, max: null, categories: null };

const refuses = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof AssayError && e.status === 400 && re.test(e.message));

test('config input: range only for NUMERIC, categories required and unique for CATEGORICAL', () => {
  assert.ok(scoreConfigInputSchema.safeParse({ name: 'q', data_type: 'NUMERIC', min: 0, max: 1 }).success);
  assert.ok(scoreConfigInputSchema.safeParse({ name: 'q', data_type: 'NUMERIC' }).success);
  assert.equal(scoreConfigInputSchema.safeParse({ name: 'q', data_type: 'NUMERIC', min: 2, max: 1 }).success, false);
  assert.equal(scoreConfigInputSchema.safeParse({ name: 'q', data_type: 'BOOLEAN', min: 0 }).success, false);
  assert.equal(scoreConfigInputSchema.safeParse({ name: 'q', data_type: 'CATEGORICAL' }).success, false);
  assert.equal(scoreConfigInputSchema.safeParse({ name: 'q', data_type: 'TEXT', categories: [{ label: 'a', value: 1 }] }).success, false);
  const dup = scoreConfigInputSchema.safeParse({ name: 'q', data_type: 'CATEGORICAL', categories: [{ label: 'a', value: 1 }, { label: 'a', value: 2 }] });
  assert.equal(dup.success, false);
  assert.match(JSON.stringify(dup.error?.issues), /duplicate category label/);
  assert.equal(scoreConfigInputSchema.safeParse({ name: 'q', data_type: 'STARS' }).success, false);
});

test('NUMERIC: inside the range passes, outside names the range', () => {
  assert.deepEqual(checkAgainstConfig({ name: 'quality', value: 5 }, numeric), { data_type: 'NUMERIC', value: 5, string_value: null });
  refuses(() => checkAgainstConfig({ name: 'quality', value: 7 }, numeric), /outside the range \[0, 5\]/);
  refuses(() => checkAgainstConfig({ name: 'quality', value: 'high' }, numeric), /not a number/);
  const open = { ...numeric, min: null };
  assert.equal(checkAgainstConfig({ name: 'quality', value: -100 }, open).value, -100);
});

test('CATEGORICAL: by label or value, both stored; unknown lists the categories', () => {
  assert.deepEqual(checkAgainstConfig({ name: 'tone', value: 'rude' }, categorical), { data_type: 'CATEGORICAL', value: 0, string_value: 'rude' });
  assert.deepEqual(checkAgainstConfig({ name: 'tone', value: 1 }, categorical), { data_type: 'CATEGORICAL', value: 1, string_value: 'polite' });
  refuses(() => checkAgainstConfig({ name: 'tone', value: 'meh' }, categorical), /"polite" \(1\), "rude" \(0\)/);
  refuses(() => checkAgainstConfig({ name: 'tone', value: 7 }, categorical), /not a category/);
});

test('BOOLEAN, TEXT, type and name mismatches', () => {
  assert.deepEqual(checkAgainstConfig({ name: 'ok', value: 'false' }, bool), { data_type: 'BOOLEAN', value: 0, string_value: 'false' });
  assert.deepEqual(checkAgainstConfig({ name: 'ok', value: 1 }, bool), { data_type: 'BOOLEAN', value: 1, string_value: 'true' });
  refuses(() => checkAgainstConfig({ name: 'ok', value: 2 }, bool), /not a boolean/);
  assert.equal(checkAgainstConfig({ name: 'note', value: 'fine' }, text).string_value, 'fine');
  refuses(() => checkAgainstConfig({ name: 'note', value: 'x'.repeat(10_001) }, text), /at most 10000/);
  refuses(() => checkAgainstConfig({ name: 'quality', value: 3, data_type: 'BOOLEAN' }, numeric), /does not match.*NUMERIC/);
  refuses(() => checkAgainstConfig({ name: 'other', value: 3 }, numeric), /not "other"/);
});

test('token bucket: a burst up to the rate, then a wait, refilled over time', () => {
  const b = new TokenBuckets(3);
  assert.equal(b.take('k', 0), null);
  assert.equal(b.take('k', 0), null);
  assert.equal(b.take('k', 0), null);
  assert.equal(b.take('k', 0), 20_000);
  assert.equal(b.take('other', 0), null);
  assert.equal(b.take('k', 20_000), null);
});
