import { test } from 'node:test';
import assert from 'node:assert/strict';
import { upstreamHttpError } from './index.js';

test('upstream OpenAI error keeps status, message, type and code', () => {
  const e = upstreamHttpError(
    { status: 429, headers: { 'retry-after': '2' }, body: null as never },
    JSON.stringify({ error: { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded', param: null } }),
    'up/gpt',
  );
  assert.equal(e.status, 429);
  assert.equal(e.message, 'slow down');
  assert.equal(e.code, 'rate_limit_exceeded');
  assert.equal(e.retryAfterMs, 2000);
  assert.equal(e.retryable, true);
});

test('non-JSON upstream error body is kept as the message', () => {
  const e = upstreamHttpError({ status: 400, headers: {}, body: null as never }, 'bad thing', 'up/gpt');
  assert.equal(e.message, 'bad thing');
  assert.equal(e.retryable, false);
});
