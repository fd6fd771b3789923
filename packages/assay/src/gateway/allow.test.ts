/** Unit tests: the key model allow-list (patterns, the 403 naming where a model came from). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssayError } from '../errors.js';
import { checkModel, modelAllowed } from './allow.js';

test('patterns: exact names and trailing *; null allows all', () => {
  assert.ok(modelAllowed(null, 'anything'));
  assert.ok(modelAllowed(['smart', 'up/*'], 'up/gpt'));
  assert.ok(modelAllowed(['smart'], 'smart'));
  assert.ok(!modelAllowed(['smart'], 'smarter'));
  assert.ok(!modelAllowed([], 'smart'));
});

test('checkModel: 403 model_not_allowed with the option as param; calls without a key are not limited', () => {
  const key = { id: 'k', scopes: ['model'], policy: null, models: ['smart'], memoryNamespace: 'k' };
  assert.throws(
    () => checkModel({ key }, 'up/x', 'assay.verify.grader'),
    (e: unknown) => e instanceof AssayError && e.status === 403 && e.param === 'assay.verify.grader' && /asked for by assay\.verify\.grader/.test(e.message),
  );
  assert.throws(() => checkModel({ key }, 'up/x'), (e: unknown) => e instanceof AssayError && e.param === 'model');
  checkModel({ key }, 'smart');
  checkModel({}, 'up/x');
});
