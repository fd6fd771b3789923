/**
 * JUnit XML for CI: a <testsuite> per variant, a <testcase> per item × repeat; a failed run has a
 * <failure> with the failed assertions' reasons, a run whose call failed an <error>. Text and
 * attributes are escaped (& < > " ') and characters XML 1.0 cannot hold are dropped.
 */
import { failureReason, type EvalRun, type ResultJson } from './report.js';

// eslint-disable-next-line no-control-regex
const INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function xmlEscape(s: string): string {
  return s.replace(INVALID, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const secs = (ms: number | null) => ((ms ?? 0) / 1000).toFixed(3);

function testcase(r: ResultJson, multi: boolean): string {
  const name = multi ? `${r.item_id} #${r.repeat + 1}` : r.item_id;
  const open = `    <testcase classname="${xmlEscape(r.variant)}" name="${xmlEscape(name)}" time="${secs(r.latency_ms)}"`;
  if (r.pass) return `${open}/>`;
  const reason = failureReason(r);
  const first = reason.split('\n')[0].slice(0, 500);
  const tag = r.error ? 'error' : 'failure';
  const type = r.error ? 'call_error' : 'assertion';
  const body = r.error ? reason : r.assertions.filter((a) => !a.pass).map((a) => `${a.type}: ${a.error ?? a.reason}`).join('\n') || reason;
  return `${open}>\n      <${tag} message="${xmlEscape(first)}" type="${type}">${xmlEscape(body)}</${tag}>\n    </testcase>`;
}

export function renderJunit(run: EvalRun): string {
  const e = run.experiment;
  const variants = e.summary?.variants.map((v) => v.id) ?? [...new Set(run.results.map((r) => r.variant))];
  const multi = run.results.some((r) => r.repeat > 0);
  const count = (rows: ResultJson[]) => ({
    tests: rows.length,
    failures: rows.filter((r) => !r.pass && !r.error).length,
    errors: rows.filter((r) => r.error).length,
    time: secs(rows.reduce((t, r) => t + (r.latency_ms ?? 0), 0)),
  });
  const all = count(run.results);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlEscape(e.name)}" tests="${all.tests}" failures="${all.failures}" errors="${all.errors}" time="${all.time}">`,
  ];
  for (const v of variants) {
    const rows = run.results.filter((r) => r.variant === v);
    const c = count(rows);
    out.push(`  <testsuite name="${xmlEscape(v)}" tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="0" time="${c.time}">`);
    out.push(`    <properties><property name="experiment" value="${xmlEscape(e.id)}"/></properties>`);
    for (const r of rows) out.push(testcase(r, multi));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
