/** When the implicit `local` provider is wanted (wantsImplicitLocal): a local/… reference outside providers, or the env. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.js';
import { wantsImplicitLocal } from './config.js';

const up = { id: 'up', type: 'openai', base_url: 'http://127.0.0.1:9', api_key: 'k', models: ['m'] };
const wants = (raw: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => wantsImplicitLocal(parseConfig({ providers: [up], ...raw }, 'f.yaml', {}), env);

test('a config that never names a local/… model does not want it', () => {
  assert.equal(wants({ routes: [{ name: 'r', targets: [{ model: 'up/m' }], description: 'not local/x at the start' }] }), false);
});

test('a local/… model anywhere outside providers wants it: targets, fallbacks, memory and knowledge models', () => {
  assert.equal(wants({ routes: [{ name: 'r', targets: [{ model: 'local/default' }] }] }), true);
  assert.equal(wants({ routes: [{ name: 'r', targets: [{ model: 'up/m' }], fallbacks: ['local/default'] }] }), true);
  assert.equal(wants({ memory: { embedding_model: 'up/m', extract_model: 'local/default' } }), true);
  assert.equal(wants({ knowledge: { default_embedding_model: 'local/bge' } }), true);
});

test('ASSAY_LOCAL_MODEL or ASSAY_LOCAL_MODEL_URI wants it; blank values do not', () => {
  assert.equal(wants({}, { ASSAY_LOCAL_MODEL: '/models/m.gguf' }), true);
  assert.equal(wants({}, { ASSAY_LOCAL_MODEL_URI: 'hf:user/repo:Q4_K_M' }), true);
  assert.equal(wants({}, { ASSAY_LOCAL_MODEL: '  ' }), false);
});
