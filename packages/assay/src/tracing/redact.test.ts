import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRedactor } from './redact.js';

test('built-in detectors', () => {
  const r = createRedactor(['emails', 'phones', 'cards', 'api_keys'])!;
  assert.equal(r.text('write to ann.lee+x@mail.example.org now'), 'write to [REDACTED_EMAIL] now');
  assert.equal(r.text('call +1 415-555-0132 or (020) 7946 0958'), 'call [REDACTED_PHONE] or [REDACTED_PHONE]');
  assert.equal(r.text('card 4242-4242-4242-4242.'), 'card [REDACTED_CARD].');
  assert.equal(r.text('key sk-ant-api03-AAAAAAAAAAAAAAAA and AKIAIOSFODNN7EXAMPLE'), 'key [REDACTED_KEY] and [REDACTED_KEY]');
});

test('no false positives on ordinary numbers, versions, dates and ids', () => {
  const r = createRedactor(['emails', 'phones', 'cards', 'api_keys'])!;
  for (const s of ['order 1234567890123 failed Luhn', 'version 1.2.3', 'on 2026-11-26 at 12:30', 'trace 5b8efff798038103d269b633813fc60c', 'total 1500 tokens']) {
    assert.equal(r.text(s), s);
  }
});

test('values are walked: keys kept, nested strings redacted, other types untouched', () => {
  const r = createRedactor(['emails'], [{ name: 'ssn', pattern: /\b\d{3}-\d{2}-\d{4}\b/g, replacement: '[SSN]' }])!;
  assert.deepEqual(r.value({ a: ['x@y.io', 1, null, { b: 'ssn 123-45-6789' }], n: 2, t: true }), {
    a: ['[REDACTED_EMAIL]', 1, null, { b: 'ssn [SSN]' }],
    n: 2,
    t: true,
  });
});

test('nothing configured → no redactor', () => {
  assert.equal(createRedactor([]), null);
});
