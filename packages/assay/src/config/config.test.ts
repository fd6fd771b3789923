import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from './load.js';

test('${VAR}, ${VAR:-default} and $${literal} interpolation', () => {
  const cfg = parseConfig(
    { providers: [{ id: 'u', type: 'openai', base_url: '${BASE:-http://127.0.0.1:9000/v1}', api_key: '${KEY}', headers: { x: '$${NOT_A_VAR}' } }] },
    'f.yaml',
    { KEY: 'secret' },
  );
  assert.equal(cfg.providers[0].base_url, 'http://127.0.0.1:9000/v1');
  assert.equal(cfg.providers[0].api_key, 'secret');
  assert.deepEqual(cfg.providers[0].headers, { x: '${NOT_A_VAR}' });
});

test('defaults fill in; unknown keys are errors with their path', () => {
  const cfg = parseConfig({}, 'f.yaml', {});
  assert.equal(cfg.router.retries, 0);
  assert.equal(cfg.tracing.store_bodies, true);
  assert.equal(cfg.limits.max_body_bytes, 10 * 1024 * 1024);
  assert.throws(() => parseConfig({ routes: [{ name: 'r', targets: [{ model: 'local/x' }], retris: 2 }] }, 'f.yaml', {}), (e: ConfigError) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.file, 'f.yaml');
    assert.match(e.problems[0], /^routes\[0\]: Unrecognized key: "retris"/);
    return true;
  });
  assert.throws(() => parseConfig({ routes: [{ name: 'a/b', targets: [] }] }, 'f.yaml', {}), /routes\[0\]\.name: route names cannot contain/);
  assert.throws(() => parseConfig({ routes: [{ name: 'r', targets: [{ model: 'gpt-4o' }] }] }, 'f.yaml', {}), /targets\[0\]\.model: must be "<provider id>\/<model>"/);
});

test('duplicate provider ids and route names are caught', () => {
  assert.throws(
    () => parseConfig({ providers: [{ id: 'a', type: 'openai', base_url: 'http://x/v1' }, { id: 'a', type: 'openai', base_url: 'http://y/v1' }] }, 'f', {}),
    /providers\[1\]\.id: duplicate provider id "a"/,
  );
});
