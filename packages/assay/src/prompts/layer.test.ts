/**
 * The prompt layer over a recording `next`: rendered messages first then the client's, text prompts
 * as a system message, config filling unset parameters only (allowlisted keys), the "assay/prompt"
 * model rule, route bindings, errors as 400s, the key allowlist for a model from config, the span's
 * prompt columns, `assay.prompt` stripped (other `assay` options kept).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { routeSchema, routerDefaultsSchema } from '../config/schema.js';
import { AssayError } from '../errors.js';
import { ModelRegistry } from '../gateway/registry.js';
import type { CallContext } from '../gateway/spec.js';
import type { ChatCompletion, ChatRequest } from '../gateway/types.js';
import type { ApiKeyRecord } from '../store/keys.js';
import { openDb, type Db } from '../store/db.js';
import { emptyObservation, Span, type Observation } from '../tracing/span.js';
import { PROMPT_MODEL, promptLayer } from './layer.js';
import { PromptService } from './service.js';
import { createInputSchema, toNewVersion, type CreateInput } from './types.js';

const completion: ChatCompletion = { id: 'c', object: 'chat.completion', created: 0, model: 'm', choices: [] };

describe('prompt layer', () => {
  let db: Db;
  let prompts: PromptService;
  const seen: ChatRequest[] = [];
  const keys = new Map<string, ApiKeyRecord>();
  const registry = new ModelRegistry(
    new Map(),
    [routeSchema.parse({ name: 'support', targets: [{ model: 'up/m' }], prompt: { name: 'chatty', label: 'staging' } })],
    routerDefaultsSchema.parse({}),
  );
  const handler = () =>
    promptLayer({ prompts, registry })(async (req) => {
      seen.push(req);
      return { kind: 'response', response: completion };
    });
  const recorded: Observation[] = [];
  const ctx = (keyId: string | null = null): CallContext => {
    const span = new Span({ record: (o) => recorded.push(o) }, emptyObservation({ trace_id: 't', type: 'generation', name: 'chat.completions' }));
    const key = keyId ? keys.get(keyId) : undefined;
    const callKey = key ? { key: { id: key.id, scopes: key.scopes, policy: key.policy, models: key.models, memoryNamespace: key.id } } : {};
    return { traceId: 't', signal: new AbortController().signal, keyId, userId: null, sessionId: null, tags: [], metadata: {}, span, ...callKey };
  };
  const call = async (req: Partial<ChatRequest>, c = ctx()) => {
    await handler()({ model: 'up/m', messages: [{ role: 'user', content: 'client says hi' }], ...req } as ChatRequest, c);
    return { req: seen[seen.length - 1], span: c.span.observation };
  };
  const create = (v: CreateInput) => prompts.create(toNewVersion(createInputSchema.parse(v)), { keyId: null });

  before(async () => {
    db = await openDb({ dialect: 'sqlite', target: ':memory:' });
    prompts = new PromptService({ db, pollMs: 0 });
    await prompts.start();
    await create({
      name: 'chatty',
      prompt: [{ role: 'system', content: 'You are {{persona}}.' }, { role: 'assistant', content: 'Ahoy.' }],
      config: { model: 'up/from-config', temperature: 0.3, max_tokens: 50, response_format: { type: 'json_object' }, supported_languages: ['en'] },
      labels: ['production'],
    });
    await create({ name: 'chatty', prompt: [{ role: 'system', content: 'Staging {{persona}}.' }], labels: ['staging'] });
    await create({ name: 'texty', prompt: 'Answer in {{lang}}.', labels: ['production'] });
    await create({ name: 'modelless', prompt: 'x', labels: ['production'] });
  });
  after(async () => {
    prompts.stop();
    await db.close();
  });

  test('no prompt: untouched', async () => {
    const req = { model: 'up/m', messages: [{ role: 'user' as const, content: 'x' }], assay: { cache: true } };
    await handler()(req, ctx());
    assert.equal(seen[seen.length - 1], req);
  });

  test('chat prompt: its messages first, the client\'s after; span columns; assay.prompt stripped', async () => {
    const { req, span } = await call({ assay: { prompt: { name: 'chatty', variables: { persona: 'a pirate' } }, tools: [] } });
    assert.deepEqual(req.messages, [
      { role: 'system', content: 'You are a pirate.' },
      { role: 'assistant', content: 'Ahoy.' },
      { role: 'user', content: 'client says hi' },
    ]);
    assert.equal(span.prompt_name, 'chatty');
    assert.equal(span.prompt_version, 1);
    assert.deepEqual(span.metadata?.prompt, { name: 'chatty', version: 1, label: 'production' });
    assert.deepEqual(req.assay, { tools: [] }, 'other assay options stay');
    const only = await call({ assay: { prompt: { name: 'texty', variables: { lang: 'French' } } } });
    assert.equal(only.req.assay, undefined, 'an empty assay object is dropped');
  });

  test('text prompt: one system message', async () => {
    const { req } = await call({ assay: { prompt: { name: 'texty', variables: { lang: 'French' } } } });
    assert.deepEqual(req.messages, [{ role: 'system', content: 'Answer in French.' }, { role: 'user', content: 'client says hi' }]);
  });

  test('config fills what the client left unset; the client wins; other keys are not sent', async () => {
    const { req } = await call({ temperature: 0.9, max_tokens: null, assay: { prompt: { name: 'chatty', version: 1, variables: { persona: 'p' } } } });
    assert.equal(req.temperature, 0.9);
    assert.equal(req.max_tokens, 50, 'null counts as unset');
    assert.deepEqual(req.response_format, { type: 'json_object' });
    assert.equal('supported_languages' in req, false);
    assert.equal(req.model, 'up/m', 'config.model does not replace a named model');
  });

  test('"assay/prompt" takes the model from config; without one it is a 400', async () => {
    const { req } = await call({ model: PROMPT_MODEL, assay: { prompt: { name: 'chatty', variables: { persona: 'p' } } } });
    assert.equal(req.model, 'up/from-config');
    await assert.rejects(call({ model: PROMPT_MODEL, assay: { prompt: { name: 'modelless' } } }), (e: unknown) => e instanceof AssayError && e.status === 400 && e.code === 'prompt_without_model');
    await assert.rejects(call({ model: PROMPT_MODEL }), (e: unknown) => e instanceof AssayError && e.status === 400 && /takes the model from a prompt/.test(e.message));
  });

  test('a model from config must be allowed for the key', async () => {
    keys.set('key_narrow', { id: 'key_narrow', models: ['assay/prompt', 'up/m'] } as ApiKeyRecord);
    await assert.rejects(
      call({ model: PROMPT_MODEL, assay: { prompt: { name: 'chatty', variables: { persona: 'p' } } } }, ctx('key_narrow')),
      (e: unknown) => e instanceof AssayError && e.status === 403 && /up\/from-config/.test(e.message),
    );
    keys.set('key_wide', { id: 'key_wide', models: ['assay/prompt', 'up/*'] } as ApiKeyRecord);
    const { req } = await call({ model: PROMPT_MODEL, assay: { prompt: { name: 'chatty', variables: { persona: 'p' } } } }, ctx('key_wide'));
    assert.equal(req.model, 'up/from-config');
  });

  test('a route binding: the request only gives variables, may pick another label, or name another prompt', async () => {
    const bound = await call({ model: 'support', assay: { prompt: { variables: { persona: 'x' } } } });
    assert.deepEqual(bound.req.messages[0], { role: 'system', content: 'Staging x.' });
    assert.equal(bound.span.prompt_version, 2);
    assert.equal(bound.req.model, 'support');
    const relabelled = await call({ model: 'support', assay: { prompt: { label: 'production', variables: { persona: 'x' } } } });
    assert.equal(relabelled.span.prompt_version, 1);
    const other = await call({ model: 'support', assay: { prompt: { name: 'texty', variables: { lang: 'Welsh' } } } });
    assert.equal(other.span.prompt_name, 'texty');
    await assert.rejects(call({ model: 'support' }), (e: unknown) => e instanceof AssayError && e.code === 'missing_prompt_variables' && /"persona"/.test(e.message));
  });

  test('mistakes are 400s that say what to fix', async () => {
    const is400 = (code: string, re: RegExp) => (e: unknown) => e instanceof AssayError && e.status === 400 && e.code === code && re.test(e.message);
    await assert.rejects(call({ assay: { prompt: { name: 'nope' } } }), is400('prompt_not_found', /no prompt named "nope"/));
    await assert.rejects(call({ assay: { prompt: { name: 'chatty', label: 'gone' } } }), is400('prompt_label_not_found', /no gone label.*production \(v1\)/));
    await assert.rejects(call({ assay: { prompt: { name: 'chatty', version: 9 } } }), is400('prompt_version_not_found', /versions are 1–2/));
    await assert.rejects(call({ assay: { prompt: { name: 'chatty' } } }), is400('missing_prompt_variables', /needs variable "persona"/));
    await assert.rejects(call({ assay: { prompt: { variables: {} } } }), is400('invalid_prompt', /assay\.prompt\.name is required/));
    await assert.rejects(call({ assay: { prompt: { name: 'chatty', label: 'a', version: 1 } } }), is400('invalid_prompt', /label or version, not both/));
    await assert.rejects(call({ assay: { prompt: 'chatty' } }), is400('invalid_prompt', /assay\.prompt/));
    await assert.rejects(call({ assay: { prompt: { name: 'chatty', varz: {} } } }), is400('invalid_prompt', /varz/));
  });

  test('a moved label is used by the next call', async () => {
    await prompts.setLabels('default', 'texty', 1, ['staging'], null);
    await create({ name: 'texty', prompt: 'Reply in {{lang}}.', labels: ['production'] });
    const { req, span } = await call({ assay: { prompt: { name: 'texty', variables: { lang: 'Dutch' } } } });
    assert.equal(req.messages[0].content, 'Reply in Dutch.');
    assert.equal(span.prompt_version, 2);
  });
});
