/** Eval-file mapping: prompts × providers, provider mapping and refusals, cartesian vars, defaultTest, file:// tests (CSV/JSONL), unsupported keys. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../client.js';
import { loadEvalFile, mapConfig, parseProviderMap } from './config.js';
import { expandVars } from './tests.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'assay-eval-config-'));
  writeFileSync(join(dir, 'chat.json'), JSON.stringify([{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'Q: {{q}}' }]));
  writeFileSync(join(dir, 'two.txt'), 'First {{q}}\n---\nSecond {{q}}\n');
  writeFileSync(join(dir, 'tests.csv'), 'q,__expected,__description\nhi,contains:hello,greeting\nbye,icontains:BYE,\n');
  writeFileSync(join(dir, 'tests.jsonl'), '{"vars":{"q":["a","b"]},"assert":[{"type":"equals","value":"x"}],"description":"Two Qs","threshold":0.5}\n');
  writeFileSync(join(dir, 'context.txt'), 'some context');
});
after(() => rmSync(dir, { recursive: true, force: true }));

const map = (raw: Record<string, unknown>, opts: Parameters<typeof mapConfig>[1] extends infer O ? Partial<O> : never = {}) => mapConfig(raw, { file: join(dir, 'promptfooconfig.yaml'), baseDir: dir, ...opts });
const fails = (raw: Record<string, unknown>, ...res: RegExp[]) => {
  assert.throws(() => map(raw), (err: unknown) => {
    assert.ok(err instanceof CliError);
    assert.equal(err.exitCode, 2);
    for (const re of res) assert.match(err.message, re);
    return true;
  });
};
const base = { prompts: ['Say {{q}}'], providers: ['openai:chat:gpt-4o-mini'], tests: [{ vars: { q: 'hi' } }] };

describe('eval config mapping', () => {
  test('prompts × providers: variant ids, models, params from config; file prompts (.json chat, .txt split on ---)', () => {
    const { definition: d, warnings } = map({
      description: 'Demo',
      prompts: ['Say {{q}}', 'file://chat.json', 'file://two.txt', { raw: 'Raw {{q}}', label: 'raw' }],
      providers: ['openai:chat:gpt-4o-mini', { id: 'anthropic:messages:claude-3-5-haiku', label: 'haiku', config: { temperature: 0, max_tokens: 50, apiKey: 'x', custom_field: 1 } }],
      tests: [{ vars: { q: 'x' } }],
    });
    assert.equal(d.name, 'Demo');
    assert.deepEqual(d.variants.map((v) => v.id), [
      'prompt-1:openai:chat:gpt-4o-mini', 'prompt-1:haiku', 'chat.json:openai:chat:gpt-4o-mini', 'chat.json:haiku',
      'two.txt#1:openai:chat:gpt-4o-mini', 'two.txt#1:haiku', 'two.txt#2:openai:chat:gpt-4o-mini', 'two.txt#2:haiku', 'raw:openai:chat:gpt-4o-mini', 'raw:haiku',
    ]);
    assert.equal(d.variants[0].model, 'gpt-4o-mini');
    assert.equal(d.variants[1].model, 'claude-3-5-haiku');
    assert.deepEqual(d.variants[1].params, { temperature: 0, max_tokens: 50, custom_field: 1 });
    assert.deepEqual(d.variants[2].messages, [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'Q: {{q}}' }]);
    assert.deepEqual(d.variants[6].messages, [{ role: 'user', content: 'Second {{q}}' }]);
    assert.match(warnings.join('\n'), /config\.apiKey is ignored/);
  });

  test('one prompt: the variant is the provider label; --provider-map wins over assay.providers, which wins over the id', () => {
    const raw = { ...base, providers: ['openai:chat:gpt-4o-mini', 'openai:gpt-4.1', 'echo'], assay: { providers: { echo: 'up/echo', 'openai:gpt-4.1': 'file-model' } } };
    const { definition: d } = map(raw, { providerMap: parseProviderMap(['openai:gpt-4.1=flag-model']) });
    assert.deepEqual(d.variants.map((v) => [v.id, v.model]), [['openai:chat:gpt-4o-mini', 'gpt-4o-mini'], ['openai:gpt-4.1', 'flag-model'], ['echo', 'up/echo']]);
    assert.throws(() => parseProviderMap(['nomodel=']), /expected <promptfoo provider id>=<assay model>/);
  });

  test('tests: cartesian vars, defaultTest vars/assert/threshold/grader merged, ids from descriptions, var files read', () => {
    const { definition: d } = map({
      ...base,
      defaultTest: { vars: { lang: 'en', ctx: 'file://context.txt' }, assert: [{ type: 'not-icontains', value: 'sorry' }], threshold: 0.8, options: { provider: 'openai:chat:judge' } },
      tests: [
        { vars: { q: ['a', 'b'], tone: ['x', 'y'] }, assert: [{ type: 'contains', value: '{{q}}' }] },
        { description: 'Says hello!', vars: { q: 'hello', lang: 'fr' }, threshold: 0.5, metadata: { topic: 'g' } },
        { description: 'Says hello!', vars: { q: 'hey' } },
      ],
      evaluateOptions: { repeat: 3, maxConcurrency: 2 },
    });
    assert.deepEqual(d.items!.map((i) => i.id), ['test-1-1', 'test-1-2', 'test-1-3', 'test-1-4', 'says-hello', 'says-hello-2']);
    assert.deepEqual(d.items![1].vars, { lang: 'en', ctx: 'some context', q: 'a', tone: 'y' });
    assert.deepEqual(d.items![0].assert, [{ type: 'contains', value: '{{q}}' }]);
    assert.deepEqual(d.items![4].vars, { lang: 'fr', ctx: 'some context', q: 'hello' });
    assert.equal(d.items![4].threshold, 0.5);
    assert.equal(d.items![5].threshold, 0.8);
    assert.deepEqual(d.items![4].metadata, { topic: 'g' });
    assert.deepEqual(d.assert, [{ type: 'not-icontains', value: 'sorry' }]);
    assert.equal(d.grader, 'judge');
    assert.equal(d.repeats, 3);
    assert.equal(d.concurrency, 2);
    const o = map({ ...base, evaluateOptions: { repeat: 3 } }, { repeat: 5, concurrency: 9, grader: 'up/judge' }).definition;
    assert.deepEqual([o.repeats, o.concurrency, o.grader], [5, 9, 'up/judge']);
    assert.deepEqual(expandVars({ a: [1, 2], b: 'x', c: [3, 4] }), [{ a: 1, b: 'x', c: 3 }, { a: 1, b: 'x', c: 4 }, { a: 2, b: 'x', c: 3 }, { a: 2, b: 'x', c: 4 }]);
  });

  test('file:// tests: CSV through the dataset importer (__expected assertion syntax), JSONL with expansion, mixed with inline', () => {
    const { definition: d } = map({ ...base, tests: ['file://tests.csv', 'file://tests.jsonl', { vars: { q: 'inline' } }] });
    assert.deepEqual(d.items!.map((i) => i.id), ['greeting', 'test-2', 'two-qs-1', 'two-qs-2', 'test-4']);
    assert.deepEqual(d.items![0], { id: 'greeting', vars: { q: 'hi' }, assert: [{ type: 'contains', value: 'hello' }], description: 'greeting' });
    assert.deepEqual(d.items![1].assert, [{ type: 'icontains', value: 'BYE' }]);
    assert.deepEqual(d.items![3], { id: 'two-qs-2', vars: { q: 'b' }, assert: [{ type: 'equals', value: 'x' }], description: 'Two Qs', threshold: 0.5 });
    const single = map({ ...base, tests: 'file://tests.csv' }).definition;
    assert.equal(single.items!.length, 2);
  });

  test('unsupported things are refused together in one error (exit 2); harmless ones only warn', () => {
    fails(
      {
        ...base,
        scenarios: [], extensions: ['file://h.js:afterAll'], sharing: false,
        providers: ['echo', 'openai:responses:gpt-4.1', 'file://provider.js', { id: 'openai:chat:x', config: { transformResponse: 'json.x' } }],
        prompts: ['file://prompt.py', 'Hi {{ name | upper }}', '{% if x %}y{% endif %}'],
        tests: [{ vars: { q: 'a' }, assert: [{ type: 'python', value: 'True' }, { type: 'javascript', value: 'file://check.js' }, { $ref: '#/assertionTemplates/x' }], options: { transform: 'output.trim()', runSerially: true }, providerOutput: 'x' }],
        defaultTest: { options: { rubricPrompt: 'x' } },
        evaluateOptions: { repeat: 0, bogus: 1 },
      },
      /scenarios: expand them/, /extensions/, /provider "echo"/, /Responses API/, /provider "file:\/\/provider\.js".*outside the gateway/, /config\.transformResponse/,
      /prompt functions/, /\{\{ name \| upper \}\}.*Nunjucks/, /\{% … %\}/, /type python is not supported/, /file references are not read/, /\$ref/,
      /options\.transform: not supported/, /providerOutput/, /defaultTest\.options\.rubricPrompt/, /evaluateOptions\.repeat/, /evaluateOptions\.bogus/,
    );
    const { warnings } = map({ ...base, sharing: false, evaluateOptions: { cache: false }, tests: [{ vars: { q: 'a' }, options: { runSerially: true } }] });
    assert.deepEqual(warnings, ['sharing is ignored (it does not change results)', 'evaluateOptions.cache is ignored (Assay reports cached calls in the results)', 'tests[0].options.runSerially is ignored (it does not change results)']);
    fails({ ...base, tests: ['file://missing.csv'] }, /cannot read .*missing\.csv/);
    fails({ prompts: [], providers: [] }, /prompts: none given/, /providers: none given/, /tests: none given/);
  });

  test('loadEvalFile: YAML and JSON files, the file name as the name, bad syntax is exit 2', () => {
    writeFileSync(join(dir, 'my-eval.json'), JSON.stringify(base));
    assert.equal(loadEvalFile(join(dir, 'my-eval.json')).definition.name, 'my-eval');
    writeFileSync(join(dir, 'broken.yaml'), 'prompts: [unclosed');
    assert.throws(() => loadEvalFile(join(dir, 'broken.yaml')), (e: unknown) => e instanceof CliError && e.exitCode === 2 && /not valid YAML/.test(e.message));
    writeFileSync(join(dir, 'list.yaml'), '- a\n- b\n');
    assert.throws(() => loadEvalFile(join(dir, 'list.yaml')), /is a YAML or JSON object/);
  });
});
