/**
 * `assay eval run` as a user runs it: a started server with a scripted upstream, the CLI spawned
 * on promptfoo-style fixtures (getting-started: two prompts, inline and CSV tests, defaultTest;
 * echo-1000-tests: 1000 JSONL tests with echo mapped to a scripted model). Checks the exit codes
 * (0 all pass, 100 a test fails, 2 an invalid file; with --baseline 0 for an equal rerun and 100
 * for a significantly worse model), the table, and the JSON, JUnit and Markdown outputs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { xmlProblem } from '../src/cli/eval/test-xml-check.js';
import { ADMIN_KEY, startAssay, type TestAssay } from './helpers/assay.js';
import { runCli } from './helpers/cli.js';
import { lastUser, startScriptedOpenAI, type ScriptedOpenAI } from './helpers/scripted-openai.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/promptfoo/', import.meta.url));
const GETTING_STARTED = join(FIXTURES, 'getting-started', 'promptfooconfig.yaml');
const ECHO = join(FIXTURES, 'echo-1000-tests', 'promptfooconfig.yaml');

const wellFormed = (xml: string) => assert.equal(xmlProblem(xml), null);

let up: ScriptedOpenAI;
let assay: TestAssay;
let dir: string;

const run = (args: string[]) => runCli(args, { url: assay.url, cwd: dir, timeoutMs: 120_000 });

const TRANSLATIONS: Record<string, string> = {
  'French|Hello world': 'Bonjour le monde',
  'Spanish|Where is the library?': '¿Dónde está la biblioteca?',
  'German|Good morning': 'Guten Morgen',
  'Italian|Thank you': 'Grazie',
  'French|Thank you': 'Merci',
};
const translate = (text: string) => {
  const m = /(?:to|into) (\w+)(?:, formally)?: (.*)$/.exec(text);
  return m ? (TRANSLATIONS[`${m[1]}|${m[2]}`] ?? '?') : '?';
};

before(async () => {
  up = await startScriptedOpenAI();
  up.scripts.set('translator', (body) => ({ content: translate(lastUser(body)) }));
  // Gets German wrong.
  up.scripts.set('sloppy', (body) => ({ content: translate(lastUser(body)).replace('Guten Morgen', 'Gutten Morgen') }));
  up.scripts.set('echo', (body) => ({ content: lastUser(body), usage: { prompt_tokens: 3, completion_tokens: 3 } }));
  // Wrong on every fourth test: a significant drop from echo.
  up.scripts.set('echo-bad', (body) => {
    const text = lastUser(body);
    return { content: Number(text.split(' ')[1]) % 4 === 0 ? 'nope' : text };
  });
  assay = await startAssay({ providers: [{ id: 'up', type: 'openai', base_url: up.url, api_key: 'k', models: ['translator'] }] });
  dir = mkdtempSync(join(tmpdir(), 'assay-eval-cli-'));
});

after(async () => {
  await assay?.stop();
  await up?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('getting-started: two prompts × one provider, all pass → exit 0, table, JSON/JUnit/Markdown outputs', async () => {
  const r = await run(['eval', 'run', GETTING_STARTED, '--provider-map', 'openai:chat:gpt-4o-mini=up/translator', '-o', 'out/results.json', '-o', 'out/results.xml', '-o', 'out/summary.md']);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  // stderr is not a TTY: plain progress lines
  assert.match(r.stderr, /Getting started translations: 100% \(10\/10 runs\)/);
  assert.match(r.stdout, /variant\s+model\s+pass rate\s+95% CI/);
  assert.match(r.stdout, /prompt-1:openai:chat:gpt-4o-mini\s+up\/translator\s+100\.0%/);
  assert.match(r.stdout, /formal_prompt\.txt:openai:chat:gpt-4o-mini/);
  assert.match(r.stdout, /All 10 runs passed\./);

  const json = JSON.parse(readFileSync(join(dir, 'out/results.json'), 'utf8'));
  assert.equal(json.experiment.status, 'done');
  assert.equal(json.results.length, 10);
  assert.deepEqual(json.summary.variants.map((v: any) => v.passRate.value), [1, 1]);
  assert.deepEqual([...new Set(json.results.map((x: any) => x.item_id))].sort(), ['spanish-library', 'test-1', 'test-3', 'test-4', 'test-5']);
  // the formal prompt came from the .txt file, the vars from the CSV
  assert.ok(up.requests.some((b) => lastUser(b) === 'Translate into Italian, formally: Thank you'));

  const xml = readFileSync(join(dir, 'out/results.xml'), 'utf8');
  wellFormed(xml);
  assert.match(xml, /<testsuites name="Getting started translations" tests="10" failures="0" errors="0"/);
  assert.equal(xml.match(/<testsuite /g)?.length, 2);
  assert.equal(xml.match(/<testcase /g)?.length, 10);
  const md = readFileSync(join(dir, 'out/summary.md'), 'utf8');
  assert.match(md, /^## Eval: Getting started translations/);
  assert.match(md, /✅ all 10 runs passed/);
  assert.match(md, /\| variant \| model \| pass rate/);
});

test('a failing assertion → exit 100, the failed tests listed with reasons, JUnit failures', async () => {
  const r = await run(['eval', 'run', GETTING_STARTED, '--provider-map', 'openai:chat:gpt-4o-mini=up/sloppy', '-o', 'fail.xml', '-o', 'fail.md', '--no-progress']);
  assert.equal(r.status, 100, r.stderr + r.stdout);
  assert.doesNotMatch(r.stderr, /100% \(/);
  assert.match(r.stdout, /Failed: 2 of 10 runs/);
  assert.match(r.stdout, /test-3\s+prompt-1:openai:chat:gpt-4o-mini\s+0\s+equals: /);
  const xml = readFileSync(join(dir, 'fail.xml'), 'utf8');
  wellFormed(xml);
  assert.match(xml, /<testsuites [^>]*tests="10" failures="2" errors="0"/);
  assert.equal(xml.match(/<failure message="equals: /g)?.length, 2);
  assert.match(readFileSync(join(dir, 'fail.md'), 'utf8'), /### Failed tests \(2\)/);
});

test('an invalid file → exit 2 listing every problem; nothing is created', async () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, ['prompts: ["Hi {{ name | upper }}"]', 'providers: [echo, openai:responses:gpt-4.1]', 'scenarios: []', 'tests:', '  - vars: {name: x}', '    assert: [{type: python, value: "True"}]'].join('\n'));
  const r = await run(['eval', 'run', bad]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /these 5 things need a change/);
  for (const re of [/scenarios/, /Nunjucks/, /provider "echo"/, /Responses API/, /type python is not supported/]) assert.match(r.stderr, re);
  const list = (await (await assay.api('/api/experiments')).json()) as { data: { name: string }[] };
  assert.ok(!list.data.some((e) => e.name === 'bad'));
  const missing = await run(['eval', 'run', join(dir, 'nope.yaml')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read/);
});

test('echo-1000-tests with --baseline: an equal rerun exits 0, a significantly worse model exits 100', async () => {
  let r = await run(['eval', 'run', ECHO, '--name', 'echo-base', '--no-progress']);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /All 1000 runs passed\./);
  r = await run(['eval', 'run', ECHO, '--name', 'echo-rerun', '--baseline', 'echo-base', '--no-progress']);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /No significant regression against baseline/);
  assert.match(r.stdout, /baseline:echo\s+echo\s+1000\s+\+0\.0/);
  r = await run(['eval', 'run', ECHO, '--name', 'echo-worse', '--provider-map', 'echo=up/echo-bad', '--baseline', 'echo-base', '-o', 'worse.json', '--no-progress']);
  assert.equal(r.status, 100, r.stderr + r.stdout);
  assert.match(r.stdout, /Significant regression against baseline/);
  assert.match(r.stdout, /baseline:echo\s+echo\s+1000\s+-25\.0\s+<0\.001/);
  const json = JSON.parse(readFileSync(join(dir, 'worse.json'), 'utf8'));
  assert.equal(json.compare.regression, true);
  assert.equal(json.summary.variants[0].passRate.value, 0.75);
});
