/**
 * The prompt registry end to end on SQLite and PostgreSQL: /api/prompts (create, versions, labels,
 * diff, render, errors, scopes), the gateway resolving `assay.prompt` and a route's binding against a
 * scripted upstream (what the upstream receives, the trace's prompt columns, a moved label used by
 * the next call, a missing variable), the real `langfuse` SDK against /api/public/v2/prompts, and
 * the `assay prompt` CLI (push, pull, list, label, diff).
 */
import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { Langfuse } from 'langfuse';
import { ADMIN_KEY, startAssay, type TestAssay, expectJson } from './helpers/assay.js';
import { runCli } from './helpers/cli.js';
import { startScriptedOpenAI, type ScriptedOpenAI } from './helpers/scripted-openai.js';
import { storeKinds, type TestStore } from './helpers/stores.js';

const withAssay = (assay: Record<string, unknown>): {} => ({ assay });
const enc = encodeURIComponent;

async function createKey(assay: TestAssay, scopes: string[]): Promise<{ id: string; key: string }> {
  return expectJson(await assay.api('/api/keys', { method: 'POST', body: JSON.stringify({ name: scopes.join('+'), scopes }) }), 201);
}

for (const kind of storeKinds) {
  describe(`prompts (${kind.name})`, { skip: kind.skip }, () => {
    let store: TestStore;
    let up: ScriptedOpenAI;
    let assay: TestAssay;
    let client: OpenAI;
    const put = (path: string, body: unknown) => assay.api(path, { method: 'PUT', body: JSON.stringify(body) });

    before(async () => {
      store = kind.make();
      up = await startScriptedOpenAI();
      up.scripts.set('m', () => ({ content: 'ok' }));
      up.scripts.set('from-config', () => ({ content: 'configured' }));
      assay = await startAssay(
        {
          providers: [{ id: 'up', type: 'openai', base_url: up.url, api_key: 'k', models: ['m'] }],
          routes: [{ name: 'support', targets: [{ model: 'up/m' }], prompt: { name: 'support/answer', label: 'staging' } }],
        },
        { databaseUrl: store.url },
      );
      client = new OpenAI({ baseURL: `${assay.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
    });
    after(async () => {
      await assay?.stop();
      await up?.close();
      await store?.cleanup();
    });
    beforeEach(() => {
      up.requests.length = 0;
    });

    test('API: create versions, read, label, diff, render', async () => {
      const v1 = await expectJson(await assay.post('/api/prompts', {
        name: 'support/answer', type: 'chat', commit_message: 'first', tags: ['support'], labels: ['production'],
        prompt: [{ role: 'system', content: 'You are {{persona}}.\nBe brief.' }, { role: 'user', content: 'Context: {{context}}' }],
        config: { model: 'up/from-config', temperature: 0.2 },
      }), 201);
      assert.equal(v1.version, 1);
      assert.deepEqual(v1.labels, ['production', 'latest']);
      assert.deepEqual(v1.variables, ['persona', 'context']);
      assert.match(v1.created_by, /^key_/);
      const v2 = await expectJson(await assay.post(`/api/prompts/${enc('support/answer')}/versions`, {
        prompt: [{ role: 'system', content: 'You are {{persona}}.\nBe very brief.' }, { role: 'user', content: 'Context: {{context}}' }],
        config: { model: 'up/from-config', temperature: 0 }, labels: ['staging'], commit_message: 'terser',
      }), 201);
      assert.equal(v2.version, 2);
      assert.deepEqual(v2.tags, ['support']);

      const list = await expectJson(await assay.api('/api/prompts'), 200);
      const item = list.data.find((p: any) => p.name === 'support/answer');
      assert.deepEqual(item.labels, { production: 1, staging: 2, latest: 2 });
      assert.equal(item.latest_version, 2);
      const detail = await expectJson(await assay.api(`/api/prompts/${enc('support/answer')}`), 200);
      assert.deepEqual(detail.versions.map((v: any) => [v.version, v.commit_message, v.labels]), [[2, 'terser', ['staging', 'latest']], [1, 'first', ['production']]]);
      assert.equal((await expectJson(await assay.api(`/api/prompts/${enc('support/answer')}?label=production`), 200)).version, 1);
      assert.equal((await expectJson(await assay.api(`/api/prompts/${enc('support/answer')}/versions/2`), 200)).commit_message, 'terser');

      const diff = await expectJson(await assay.api(`/api/prompts/${enc('support/answer')}/diff?from=1&to=2`), 200);
      assert.equal(diff.changed, true);
      assert.deepEqual(diff.messages.map((m: any) => m.status), ['changed', 'same']);
      assert.deepEqual(diff.config, [{ path: 'temperature', op: 'changed', from: 0.2, to: 0 }]);
      assert.match(diff.unified, /- Be brief\.\n\+ Be very brief\./);

      const rendered = await expectJson(await assay.post(`/api/prompts/${enc('support/answer')}/render`, { label: 'staging', variables: { persona: 'a librarian', context: 'books' } }), 200);
      assert.deepEqual(rendered.messages, [{ role: 'system', content: 'You are a librarian.\nBe very brief.' }, { role: 'user', content: 'Context: books' }]);
      assert.equal(rendered.version, 2);
      const missing = await expectJson(await assay.post(`/api/prompts/${enc('support/answer')}/render`, { variables: { persona: 'x' } }), 400);
      assert.equal(missing.error.code, 'missing_prompt_variables');
      assert.match(missing.error.message, /needs variable "context"/);

      const moved = await expectJson(await put(`/api/prompts/${enc('support/answer')}/labels`, { version: 2, labels: ['canary'] }), 200);
      assert.equal(moved.labels.canary, 2);
      await expectJson(await assay.api(`/api/prompts/${enc('support/answer')}/labels/canary`, { method: 'DELETE' }), 200);
    });

    test('API errors and scopes', async () => {
      assert.equal((await expectJson(await assay.api('/api/prompts/nope'), 404)).error.code, 'prompt_not_found');
      assert.match((await expectJson(await assay.post('/api/prompts', { name: 'a//b', prompt: 'x' }), 400)).error.message, /empty segment/);
      assert.match((await expectJson(await assay.post('/api/prompts', { name: 'x', prompt: 'x', labels: ['Prod'] }), 400)).error.message, /lowercase/);
      assert.match((await expectJson(await put(`/api/prompts/${enc('support/answer')}/labels`, { version: 1, label: 'latest' }), 400)).error.message, /set automatically/);
      assert.equal((await expectJson(await put(`/api/prompts/${enc('support/answer')}/labels`, { version: 99, label: 'x' }), 404)).error.code, 'prompt_version_not_found');
      assert.equal((await expectJson(await assay.post('/api/prompts', { name: 'support/answer', prompt: 'text now' }), 400)).error.code, 'prompt_type_mismatch');
      const reader = await createKey(assay, ['read']);
      assert.equal((await assay.api('/api/prompts', { key: reader.key })).status, 200);
      assert.equal((await assay.post('/api/prompts', { name: 'x', prompt: 'y' }, reader.key)).status, 403);
      assert.equal((await assay.api('/api/prompts', { key: 'sk-assay-wrong' })).status, 401);
    });

    test('gateway: rendered prompt + client messages upstream, prompt columns in the trace', async () => {
      const { data, response } = await client.chat.completions
        .create({ model: 'up/m', messages: [{ role: 'user', content: 'Where is the atlas?' }], temperature: 0.7, ...withAssay({ prompt: { name: 'support/answer', variables: { persona: 'a librarian', context: 'maps' } } }) })
        .withResponse();
      assert.equal(data.choices[0].message.content, 'ok');
      const sent = up.requests[0];
      assert.deepEqual(sent.messages, [
        { role: 'system', content: 'You are a librarian.\nBe brief.' },
        { role: 'user', content: 'Context: maps' },
        { role: 'user', content: 'Where is the atlas?' },
      ]);
      assert.equal(sent.temperature, 0.7, 'the client wins over config');
      assert.equal(sent.model, 'm');
      assert.equal('assay' in sent, false);
      await assay.flush();
      const trace = await expectJson(await assay.api(`/api/traces/${response.headers.get('x-assay-trace-id')}`), 200);
      const root = trace.observations.find((o: any) => o.parent_id === null);
      assert.equal(root.prompt_name, 'support/answer');
      assert.equal(root.prompt_version, 1);
      assert.equal(root.input.messages.length, 3, 'the trace shows the messages the model got');
      assert.equal(root.input.assay.prompt.variables.context, 'maps');

      // "assay/prompt": the model comes from config; a route binding picks its label.
      await client.chat.completions.create({ model: 'assay/prompt', messages: [{ role: 'user', content: 'q' }], ...withAssay({ prompt: { name: 'support/answer', version: 2, variables: { persona: 'p', context: 'c' } } }) });
      assert.equal(up.requests[1].model, 'from-config');
      assert.equal(up.requests[1].temperature, 0);
      const bound = await client.chat.completions.create({ model: 'support', messages: [{ role: 'user', content: 'q' }], ...withAssay({ prompt: { variables: { persona: 'p', context: 'c' } } }) });
      assert.equal(bound.choices[0].message.content, 'ok');
      assert.equal(up.requests[2].messages[0].content, 'You are p.\nBe very brief.', 'the route binds the staging label (v2)');
    });

    test('gateway: a moved label is used by the next call; mistakes are 400s', async () => {
      const ask = () => client.chat.completions.create({ model: 'up/m', messages: [{ role: 'user', content: 'q' }], ...withAssay({ prompt: { name: 'support/answer', variables: { persona: 'p', context: 'c' } } }) });
      await ask();
      assert.equal(up.requests[0].messages[0].content, 'You are p.\nBe brief.');
      await expectJson(await put(`/api/prompts/${enc('support/answer')}/labels`, { version: 2, label: 'production' }), 200);
      await ask();
      assert.equal(up.requests[1].messages[0].content, 'You are p.\nBe very brief.', 'no restart needed');

      const bad = async (assayExt: Record<string, unknown>, re: RegExp) => {
        await assert.rejects(client.chat.completions.create({ model: 'up/m', messages: [{ role: 'user', content: 'q' }], ...withAssay(assayExt) }), (e: any) => e.status === 400 && re.test(e.message));
      };
      await bad({ prompt: { name: 'support/answer', variables: { persona: 'p' } } }, /needs variable "context"/);
      await bad({ prompt: { name: 'no/such' } }, /no prompt named "no\/such"/);
      await bad({ prompt: { name: 'support/answer', label: 'gone' } }, /no gone label/);
      assert.equal(up.requests.length, 2, 'nothing reached the upstream');
    });

    test('Langfuse SDK: getPrompt, labels, compile, createPrompt, updatePrompt', async () => {
      const key = await createKey(assay, ['ingest']);
      const admin = await createKey(assay, ['admin']);
      const lf = new Langfuse({ publicKey: key.id, secretKey: key.key, baseUrl: assay.url });
      const lfAdmin = new Langfuse({ publicKey: admin.id, secretKey: admin.key, baseUrl: assay.url });
      try {
        const created = await lfAdmin.createPrompt({ name: 'lf/greeting', prompt: 'Hello {{name}} from {{ place }}', labels: ['production'], config: { temperature: 0.5 }, commitMessage: 'hi' });
        assert.equal(created.version, 1);
        assert.equal(created.commitMessage, 'hi');
        await lfAdmin.createPrompt({ name: 'lf/greeting', prompt: 'Hi {{name}}!', labels: ['staging'] });
        const prod = await lf.getPrompt('lf/greeting');
        assert.equal(prod.version, 1);
        assert.equal(prod.compile({ name: 'Ada', place: 'Paris' }), 'Hello Ada from Paris');
        assert.deepEqual(prod.config, { temperature: 0.5 });
        assert.deepEqual(prod.labels, ['production']);
        const staging = await lf.getPrompt('lf/greeting', undefined, { label: 'staging' });
        assert.equal(staging.version, 2);
        assert.deepEqual(staging.labels, ['staging', 'latest']);
        assert.equal((await lf.getPrompt('lf/greeting', 2)).prompt, 'Hi {{name}}!');

        const chat = await lfAdmin.createPrompt({
          name: 'lf/chat', type: 'chat', labels: ['production'],
          prompt: [{ role: 'system', content: 'You are {{who}}.' }, { type: 'placeholder' as any, name: 'history' }, { role: 'user', content: '{{q}}' }],
        });
        assert.equal(chat.type, 'chat');
        const fetched = await lf.getPrompt('lf/chat', undefined, { type: 'chat' });
        assert.deepEqual(fetched.compile({ who: 'kind', q: 'why?' }, { history: [{ role: 'assistant', content: 'earlier' }] }), [
          { role: 'system', content: 'You are kind.' },
          { role: 'assistant', content: 'earlier' },
          { role: 'user', content: 'why?' },
        ]);

        await lfAdmin.updatePrompt({ name: 'lf/greeting', version: 2, newLabels: ['production'] });
        assert.equal((await lf.getPrompt('lf/greeting', undefined, { cacheTtlSeconds: 0 })).version, 2);
        // Same registry: the gateway serves what the SDK created.
        await client.chat.completions.create({ model: 'up/m', messages: [{ role: 'user', content: 'x' }], ...withAssay({ prompt: { name: 'lf/greeting', variables: { name: 'Bo' } } }) });
        assert.deepEqual(up.requests[0].messages[0], { role: 'system', content: 'Hi Bo!' });

        const basic = { authorization: `Basic ${Buffer.from(`${key.id}:${key.key}`).toString('base64')}` };
        const list = await expectJson(await fetch(`${assay.url}/api/public/v2/prompts?name=lf%2Fgreeting`, { headers: basic }), 200);
        assert.deepEqual(list.data, [{ name: 'lf/greeting', type: 'text', versions: [1, 2], labels: ['latest', 'production', 'staging'], tags: [], lastUpdatedAt: list.data[0].lastUpdatedAt, lastConfig: {} }]);
        assert.deepEqual(list.meta, { page: 1, limit: 50, totalItems: 1, totalPages: 1 });
        const missing = await expectJson(await fetch(`${assay.url}/api/public/v2/prompts/nope`, { headers: basic }), 404);
        assert.equal(missing.error, 'LangfuseNotFoundError');
        assert.match(missing.message, /no prompt named "nope"/);
        const denied = await fetch(`${assay.url}/api/public/v2/prompts`, { method: 'POST', headers: { ...basic, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', prompt: 'y' }) });
        assert.equal(denied.status, 403);
      } finally {
        await lf.shutdownAsync();
        await lfAdmin.shutdownAsync();
      }
    });
  });
}

describe('assay prompt CLI', () => {
  let assay: TestAssay;
  let dir: string;
  const run = (args: string[]) => runCli(args, { url: assay.url, cwd: dir });

  before(async () => {
    assay = await startAssay({});
    dir = mkdtempSync(join(tmpdir(), 'assay-prompt-cli-'));
  });
  after(async () => {
    await assay?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('push (yaml, md with front matter), unchanged push, pull, list, label, diff', async () => {
    writeFileSync(join(dir, 'triage.yaml'), 'name: support/triage\ntype: chat\nprompt:\n  - role: system\n    content: |-\n      Sort the ticket.\n      Be {{tone}}.\n  - role: user\n    content: "{{ticket}}"\nconfig:\n  temperature: 0\n');
    let r = await run(['prompt', 'push', 'triage.yaml', '-l', 'production', '-m', 'first cut']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /support\/triage: version 1 \(labels: production, latest\)/);
    r = await run(['prompt', 'push', 'triage.yaml', '--label', 'staging']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /unchanged, still version 1 \(labels: production, staging, latest\)/);

    writeFileSync(join(dir, 'welcome.md'), '---\nconfig:\n  max_tokens: 100\n---\nWelcome, {{name}}!\nSecond line.\n');
    r = await run(['prompt', 'push', 'welcome.md']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /welcome: version 1/);
    writeFileSync(join(dir, 'welcome.md'), 'Welcome back, {{name}}!\nSecond line.\n');
    r = await run(['prompt', 'push', 'welcome.md', '--name', 'welcome', '-m', 'warmer']);
    assert.match(r.stdout, /welcome: version 2/);

    r = await run(['prompt', 'pull', 'welcome', '--version', '1', '-o', 'pulled.md']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(dir, 'pulled.md'), 'utf8'), '---\nname: welcome\nconfig:\n  max_tokens: 100\n---\nWelcome, {{name}}!\nSecond line.\n');
    r = await run(['prompt', 'pull', 'support/triage', '--label', 'production']);
    assert.match(r.stdout, /^name: support\/triage\ntype: chat\nprompt:\n {2}- role: system\n {4}content: \|-\n {6}Sort the ticket\.\n {6}Be \{\{tone\}\}\./);
    r = await run(['prompt', 'pull', 'support/triage', '-o', 'again.json']);
    const pulled = JSON.parse(readFileSync(join(dir, 'again.json'), 'utf8'));
    assert.deepEqual(pulled.config, { temperature: 0 });
    r = await run(['prompt', 'pull', 'support/triage', '-o', 'bad.md']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /chat prompt: pull it to a \.yaml or \.json file/);

    r = await run(['prompt', 'label', 'welcome', '1', 'production', 'stable']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /welcome: production → v1, stable → v1/);
    r = await run(['prompt', 'list']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      'support/triage\tchat\tv1\tproduction=1,staging=1,latest=1\t-',
      'welcome\ttext\tv2\tproduction=1,stable=1,latest=2\t-',
    ]);
    r = await run(['prompt', 'diff', 'welcome']);
    assert.match(r.stdout, /- Welcome, \{\{name\}\}!\n\+ Welcome back, \{\{name\}\}!\n {2}Second line\.\n@@ config @@\n- max_tokens: 100/);
    r = await run(['prompt', 'pull', 'nope']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no prompt named "nope"/);
    r = await run(['prompt', 'label', 'welcome', '9', 'production']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no version 9/);
  });
});
