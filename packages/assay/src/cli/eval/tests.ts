/**
 * promptfoo `tests` → inline experiment items: an inline list, `file://tests.csv|jsonl|json|yaml`
 * (CSV and JSONL read by the dataset importers, src/datasets/csv-items.ts and jsonl.ts, so a test
 * file and a dataset file mean the same thing), or a list mixing both. `defaultTest.vars` are
 * merged under each test's vars; array-valued vars expand into their cartesian product (like
 * promptfoo); `file://` var values are read (.txt/.md as text, .json/.yaml parsed). Item ids are
 * the description's slug or `test-<n>`, plus `-<k>` for each expansion.
 */
import { extname } from 'node:path';
import { itemsFromCsv } from '../../datasets/csv-items.js';
import { toTestCase } from '../../datasets/item.js';
import { itemsFromJsonl } from '../../datasets/jsonl.js';
import type { ParseResult } from '../../datasets/types.js';
import type { AssertionLike, InlineItem } from '../../evals/experiments/types.js';
import { Findings, isFileRef, isObject, parseData, readText, refPath, slug, unknownKeys } from './common.js';

const TEST_KEYS = ['id', 'vars', 'assert', 'description', 'threshold', 'metadata', 'options', 'messages', 'expected'];
/** Test keys that change what is run or graded and have no Assay equivalent. */
const TEST_UNSUPPORTED: Record<string, string> = {
  provider: 'per-test providers', providers: 'per-test provider filters', prompts: 'per-test prompt filters',
  providerOutput: 'grading a given output (run it as an Assay dataset with expected instead)',
  assertScoringFunction: 'custom scoring functions',
};
/** Options that do not change results: ignored with a warning. */
const HARMLESS_OPTIONS = ['runSerially'];
const REFUSED_ASSERT_TYPES = ['python', 'ruby', 'webhook'];

export interface TestDefaults {
  vars: Record<string, unknown>;
  threshold?: number;
  metadata?: Record<string, unknown>;
}

/** Problems with assertions Assay cannot run (code outside JavaScript, files, templates). */
export function checkAsserts(list: unknown, where: string, f: Findings): AssertionLike[] | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) return (f.problem(`${where}: must be a list of assertions`), undefined);
  list.forEach((a, i) => {
    const at = `${where}[${i}]`;
    if (!isObject(a)) return f.problem(`${at}: must be an object {type, value}`);
    if (a.$ref !== undefined) return f.problem(`${at}: $ref (assertionTemplates) is not supported; write the assertion inline`);
    const type = typeof a.type === 'string' ? a.type.replace(/^not-/, '') : '';
    if (REFUSED_ASSERT_TYPES.includes(type)) return f.problem(`${at}: type ${a.type} is not supported (${type} code does not run in Assay); use javascript, a built-in assertion or llm-rubric`);
    if (isFileRef(a.value)) return f.problem(`${at}: value ${a.value}: file references are not read; put the value inline`);
    for (const k of ['transform', 'contextTransform']) if (a[k] !== undefined) f.problem(`${at}: ${k} is not supported; remove it or assert on the raw output`);
    if (type === 'assert-set') checkAsserts(a.assert, `${at}.assert`, f);
  });
  return list as AssertionLike[];
}

function varValue(v: unknown, where: string, baseDir: string, f: Findings): unknown {
  if (!isFileRef(v)) return v;
  const path = refPath(v, baseDir);
  const ext = extname(path).toLowerCase();
  if (!['.txt', '.md', '.json', '.yaml', '.yml'].includes(ext)) return (f.problem(`${where}: ${v}: only .txt, .md, .json and .yaml var files are read (no code)`), undefined);
  const text = readText(path, where, f);
  if (text === undefined) return undefined;
  return ext === '.txt' || ext === '.md' ? text : parseData(text, where, f);
}

/** Every combination of the array-valued vars (promptfoo's expansion); one combination without arrays. */
export function expandVars(vars: Record<string, unknown>): Record<string, unknown>[] {
  let combos: Record<string, unknown>[] = [{}];
  for (const [k, v] of Object.entries(vars)) {
    const values = Array.isArray(v) ? v : [v];
    combos = combos.flatMap((c) => values.map((x) => ({ ...c, [k]: x })));
  }
  return combos;
}

function fileTests(ref: string, baseDir: string, f: Findings): unknown[] {
  const path = refPath(ref, baseDir);
  const ext = extname(path).toLowerCase();
  if (/[*?]/.test(path)) return (f.problem(`tests: ${ref}: globs are not supported; list the files`), []);
  const text = readText(path, 'tests', f);
  if (text === undefined) return [];
  let parsed: ParseResult;
  if (ext === '.csv') parsed = itemsFromCsv(text);
  else if (ext === '.jsonl' || ext === '.ndjson') parsed = itemsFromJsonl(text);
  else if (ext === '.json' || ext === '.yaml' || ext === '.yml') {
    const data = parseData(text, `tests: ${ref}`, f);
    if (Array.isArray(data)) return data;
    return (f.problem(`tests: ${ref}: must hold a list of test cases`), []);
  } else return (f.problem(`tests: ${ref}: ${ext || 'this file type'} is not supported; use .csv, .jsonl, .json or .yaml`), []);
  for (const e of parsed.errors.slice(0, 10)) f.problem(`tests: ${ref}${e.line ? ` line ${e.line}` : ''}${e.column ? ` (${e.column})` : ''}: ${e.message}`);
  // Back to promptfoo's flat test shape; the importers keep description/threshold/options in metadata.
  return parsed.items.map(({ item }) => {
    const t = toTestCase({ ...item, id: item.id ?? '' }) as unknown as Record<string, unknown>;
    if (!item.id) delete t.id;
    const meta = { ...(item.metadata ?? {}) };
    if (isObject(meta.options)) t.options = meta.options;
    for (const k of ['description', 'threshold', 'options']) delete meta[k];
    if (Object.keys(meta).length) t.metadata = meta;
    else delete t.metadata;
    return t;
  });
}

/** The raw test list: inline entries and file:// references, in order. */
export function rawTests(raw: unknown, baseDir: string, f: Findings): unknown[] {
  if (raw === undefined) return (f.problem('tests: none given; add tests (inline or file://tests.csv)'), []);
  const list = Array.isArray(raw) ? raw : [raw];
  return list.flatMap((t) => (isFileRef(t) ? fileTests(t, baseDir, f) : typeof t === 'string' ? (f.problem(`tests: "${t}" is not supported (tests are inline or file://…; Google Sheets and huggingface:// are not read)`), []) : [t]));
}

/** Inline items from the raw tests, with the defaults applied and vars expanded. */
export function itemsOf(tests: unknown[], defaults: TestDefaults, baseDir: string, f: Findings): InlineItem[] {
  const items: InlineItem[] = [];
  const used = new Set<string>();
  const unique = (id: string) => {
    let out = id;
    for (let n = 2; used.has(out); n++) out = `${id}-${n}`;
    used.add(out);
    return out;
  };
  tests.forEach((t, i) => {
    const where = `tests[${i}]`;
    if (!isObject(t)) return f.problem(`${where}: must be an object {vars, assert, …}`);
    for (const k of unknownKeys(t, TEST_KEYS)) {
      f.problem(`${where}.${k}: ${TEST_UNSUPPORTED[k] ? `${TEST_UNSUPPORTED[k]} are not supported` : 'is not a test field Assay knows'}; remove it`);
    }
    if (t.options !== undefined) {
      if (!isObject(t.options)) f.problem(`${where}.options: must be an object`);
      else {
        for (const k of Object.keys(t.options)) {
          if (HARMLESS_OPTIONS.includes(k)) f.warn(`${where}.options.${k} is ignored (it does not change results)`);
          else f.problem(`${where}.options.${k}: not supported per test (${k === 'provider' ? 'set the grader once: defaultTest.options.provider or --grader' : 'remove it'})`);
        }
      }
    }
    if (t.vars !== undefined && !isObject(t.vars)) return f.problem(`${where}.vars: must be an object`);
    if (t.threshold !== undefined && (typeof t.threshold !== 'number' || t.threshold < 0 || t.threshold > 1)) f.problem(`${where}.threshold: must be a number from 0 to 1`);
    if (t.metadata !== undefined && !isObject(t.metadata)) f.problem(`${where}.metadata: must be an object`);
    if (t.description !== undefined && typeof t.description !== 'string') f.problem(`${where}.description: must be a string`);
    const assert = checkAsserts(t.assert, `${where}.assert`, f);
    const vars: Record<string, unknown> = {};
    for (const [k, v] of Object.entries({ ...defaults.vars, ...((t.vars as Record<string, unknown>) ?? {}) })) {
      vars[k] = Array.isArray(v) ? v.map((x, j) => varValue(x, `${where}.vars.${k}[${j}]`, baseDir, f)) : varValue(v, `${where}.vars.${k}`, baseDir, f);
    }
    const combos = expandVars(vars);
    const description = t.description as string | undefined;
    const base = typeof t.id === 'string' && t.id ? t.id : (description && slug(description)) || `test-${i + 1}`;
    const threshold = (t.threshold as number | undefined) ?? defaults.threshold;
    const metadata = defaults.metadata || t.metadata ? { ...defaults.metadata, ...(t.metadata as Record<string, unknown> | undefined) } : undefined;
    combos.forEach((v, k) => {
      const item: InlineItem = { id: unique(combos.length > 1 ? `${base}-${k + 1}` : base) };
      if (Object.keys(v).length || !t.messages) item.vars = v;
      if (t.messages !== undefined) item.messages = t.messages as InlineItem['messages'];
      if (t.expected !== undefined) item.expected = t.expected;
      if (assert?.length) item.assert = assert;
      if (description) item.description = description;
      if (threshold !== undefined) item.threshold = threshold;
      if (metadata) item.metadata = metadata;
      items.push(item);
    });
  });
  return items;
}
