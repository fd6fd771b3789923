import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { toolSpecSchema } from './spec.js';

const list = z.array(toolSpecSchema);
const issues = (v: unknown) => {
  const r = list.safeParse(v);
  assert.equal(r.success, false);
  return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

test('bare names, options with defaults, every family', () => {
  const out = list.parse(['run_code', 'memory', { retrieve: { kb: 'docs' } }, { mcp: { server: 'fs', tools: ['read'] } }, { http: { openapi: 'pets' } }]);
  assert.deepEqual(out.map((t) => t.kind), ['run_code', 'memory', 'retrieve', 'mcp', 'http']);
  assert.deepEqual(out[1], { kind: 'memory', memory: { recall: 'tool', extract: false } });
  assert.deepEqual(out[2], { kind: 'retrieve', retrieve: { kb: 'docs', arms: 'hybrid' } });
});

test('errors name the entry and the field', () => {
  assert.match(issues(['search'])[0], /^0: unknown tool "search"/);
  assert.match(issues([{ retrieve: { k: 3 } }])[0], /^0\.retrieve\.kb: /);
  assert.match(issues([{ retrieve: { kb: 'd', k: 500 } }])[0], /^0\.retrieve\.k: /);
  assert.match(issues([{ shell: {} }])[0], /^0\.shell: unknown tool family "shell"/);
  assert.match(issues([{ run_code: {}, memory: {} }])[0], /exactly one key/);
  assert.match(issues([{ http: { url: 'x' } }])[0], /^0\.http: http needs \{ name/);
  assert.match(issues([{ memory: { recall: 'always' } }])[0], /^0\.memory\.recall: /);
});
