/** JUnit XML and Markdown writers: structure, escaping of & < > " ', failures vs errors, repeats. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderJunit, xmlEscape } from './junit.js';
import { xmlProblem } from './test-xml-check.js';
import { renderMarkdown, renderTable, type EvalRun, type ResultJson } from './report.js';

const wellFormed = (xml: string) => assert.equal(xmlProblem(xml), null);

const row = (over: Partial<ResultJson>): ResultJson => ({
  item_id: 'a', variant: 'v1', repeat: 0, output: 'x', pass: true, score: 1, assertions: [], latency_ms: 120, cost: 0.001, error: null, ...over,
});

const variant = (id: string, pass: number) => ({
  id, model: `up/${id}`, prompt: null, runs: 3, items: 3, errors: 0,
  passRate: { value: pass, low: pass - 0.2, high: Math.min(1, pass + 0.1) }, meanScore: { value: pass, low: null, high: null },
  passAtK: null, passHatK: null, flakyItems: [], latencyMs: { p50: 100, p95: 200 }, cost: { total: 0.003, perRun: 0.001 }, tokens: { input: 1, output: 1 }, frontier: true,
});

const RUN: EvalRun = {
  experiment: {
    id: 'exp_1', name: `Tom & Jerry's <"eval">`, status: 'done', total: 3, done: 3, error: null, started_at: 1, finished_at: 2,
    summary: {
      k: 1,
      variants: [variant('v1', 2 / 3), variant('v|2', 1)],
      comparisons: [{ baseline: 'v1', variant: 'v|2', items: 3, passRateDiff: 0.333, mcnemar: { b: 0, c: 1, p: 1, method: 'exact' }, scoreDiff: null, significant: false, regression: false, warning: 'not enough samples: differences under 0.5 cannot be detected' }],
    },
  },
  results: [
    row({ item_id: 'a&b', pass: true }),
    row({ item_id: '<c>', pass: false, score: 0, assertions: [{ type: 'contains', pass: false, score: 0, reason: `output does not contain "O'Neil & <Co>"` }] }),
    row({ item_id: 'd', pass: false, score: 0, error: 'upstream 500: "boom"', latency_ms: null }),
    row({ item_id: 'a&b', variant: 'v|2' }),
  ],
};

describe('JUnit writer', () => {
  test('a testsuite per variant, a testcase per run; failures and errors; everything escaped', () => {
    const xml = renderJunit(RUN);
    wellFormed(xml);
    assert.match(xml, /<testsuites name="Tom &amp; Jerry&apos;s &lt;&quot;eval&quot;&gt;" tests="4" failures="1" errors="1"/);
    assert.match(xml, /<testsuite name="v1" tests="3" failures="1" errors="1"/);
    assert.match(xml, /<testsuite name="v\|2" tests="1" failures="0" errors="0"/);
    assert.match(xml, /<testcase classname="v1" name="a&amp;b" time="0.120"\/>/);
    assert.match(xml, /<failure message="contains: output does not contain &quot;O&apos;Neil &amp; &lt;Co&gt;&quot;" type="assertion">/);
    assert.match(xml, /<error message="error: upstream 500: &quot;boom&quot;" type="call_error">/);
  });

  test('repeats are numbered; control characters are dropped', () => {
    const xml = renderJunit({ ...RUN, results: [row({ repeat: 0 }), row({ repeat: 1, pass: false, assertions: [{ type: 'equals', pass: false, score: 0, reason: 'bell\u0007 here' }] })] });
    wellFormed(xml);
    assert.match(xml, /name="a #1"/);
    assert.match(xml, /name="a #2"/);
    assert.ok(!xml.includes('\u0007'));
    assert.equal(xmlEscape(`&<>"'`), '&amp;&lt;&gt;&quot;&apos;');
  });
});

test('the well-formedness check catches broken XML', () => {
  const decl = '<?xml version="1.0" encoding="UTF-8"?>\n';
  assert.match(xmlProblem(`${decl}<a><b></a>`) ?? '', /unbalanced/);
  assert.match(xmlProblem(`${decl}<a>x & y</a>`) ?? '', /bad entity/);
  assert.match(xmlProblem(`${decl}<a x="<"/>`) ?? '', /not well-formed/);
  assert.equal(xmlProblem(`${decl}<a x="1"><b/>t &amp; u</a>\n`), null);
});

describe('Markdown summary and table', () => {
  test('a status line, the variant table with escaped pipes, comparisons with warnings, failed tests', () => {
    const md = renderMarkdown(RUN);
    assert.match(md, /^## Eval: Tom & Jerry's <"eval">\n/);
    assert.match(md, /❌ 2 of 4 runs failed/);
    assert.match(md, /\| v\\\|2 \| up\/v\\\|2 \| 100\.0% \|/);
    assert.match(md, /> ⚠️ v1 vs v\\\|2: not enough samples/);
    assert.match(md, /### Failed tests \(2\)/);
    assert.match(md, /\| <c> \| v1 \| 0 \| contains: output does not contain "O'Neil & <Co>" \|/);
  });

  test('the terminal table: variants, comparisons with p-values, the failed runs', () => {
    const t = renderTable(RUN);
    assert.match(t, /v1\s+up\/v1\s+66\.7%\s+46\.7%–76\.7%\s+0\.67/);
    assert.match(t, /v1\s+v\|2\s+3\s+\+33\.3\s+1\.000/);
    assert.match(t, /not enough samples/);
    assert.match(t, /Failed: 2 of 4 runs/);
    assert.match(t, /d\s+v1\s+0\s+error: upstream 500/);
  });
});
