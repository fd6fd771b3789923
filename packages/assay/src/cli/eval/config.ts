/**
 * An eval file (a promptfoo config, YAML or JSON) → an Assay experiment definition. Top-level keys
 * Assay maps: description, prompts, providers/targets, tests, defaultTest, evaluateOptions
 * (repeat, maxConcurrency), tags, outputPath, and Assay's own `assay: {providers: {<id>: <model>}}`.
 * Keys that only affect promptfoo's own tooling are ignored with a warning; anything that would
 * change results and has no Assay equivalent (scenarios, extensions, transforms, python asserts …)
 * is refused, all problems listed in one error (exit 2). See docs/evals.md.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import type { ExperimentDefinition } from '../../evals/experiments/types.js';
import { CliError } from '../client.js';
import { Findings, isObject, parseData } from './common.js';
import { checkAsserts, itemsOf, rawTests, type TestDefaults } from './tests.js';
import { loadPrompts, loadProviders, mapModel, variantsOf } from './variants.js';

export interface EvalOptions {
  /** `--provider-map id=model` entries (win over the file's assay.providers). */
  providerMap?: Record<string, string>;
  repeat?: number;
  concurrency?: number;
  /** `--grader`: a model, or a provider id mapped like providers. */
  grader?: string;
  name?: string;
}

export interface LoadedEval {
  definition: ExperimentDefinition;
  warnings: string[];
  /** The file's outputPath entries (used when no -o is given). */
  outputPaths: string[];
}

const MAPPED = ['description', 'prompts', 'providers', 'targets', 'tests', 'defaultTest', 'evaluateOptions', 'assay', 'tags', 'outputPath'];
const IGNORED = ['sharing', 'env', 'writeLatestResults', '$schema', 'metadata'];
const REFUSED: Record<string, string> = {
  scenarios: 'scenarios: expand them into tests (each scenario config × test becomes a test with merged vars)',
  extensions: 'extensions: hooks do not run in Assay; remove them',
  assertionTemplates: 'assertionTemplates: write the assertions inline instead of $ref',
  redteam: 'redteam: red-team configs are not run by assay eval',
  derivedMetrics: 'derivedMetrics: not computed by Assay; remove them',
  nunjucksFilters: 'nunjucksFilters: Assay templates only substitute {{var}}',
  commandLineOptions: 'commandLineOptions: pass the options to assay eval run instead',
};
const EVALUATE_MAPPED = ['repeat', 'maxConcurrency'];
const EVALUATE_IGNORED = ['delay', 'cache', 'showProgressBar', 'timeoutMs', 'maxEvalTimeMs', 'generateSuggestions'];

/** Parses `a=b` pairs into a map (the last one wins). */
export function parseProviderMap(pairs: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.lastIndexOf('=');
    if (i <= 0 || i === p.length - 1) throw new CliError(`--provider-map ${p}: expected <promptfoo provider id>=<assay model>, e.g. openai:chat:gpt-4o-mini=smart`, 2);
    map[p.slice(0, i)] = p.slice(i + 1);
  }
  return map;
}

const positiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/** Reads and maps an eval file; throws CliError (exit 2) listing every problem. */
export function loadEvalFile(file: string, opts: EvalOptions = {}): LoadedEval {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, 2);
  }
  const f = new Findings();
  const raw = parseData(text, file, f);
  f.check(file);
  if (!isObject(raw)) throw new CliError(`${file}: an eval file is a YAML or JSON object with prompts, providers and tests`, 2);
  return mapConfig(raw, { ...opts, file, baseDir: dirname(resolve(file)) }, f);
}

/** Maps a parsed config (exported for tests). */
export function mapConfig(raw: Record<string, unknown>, opts: EvalOptions & { file: string; baseDir: string }, f = new Findings()): LoadedEval {
  for (const k of Object.keys(raw)) {
    if (MAPPED.includes(k)) continue;
    if (IGNORED.includes(k)) f.warn(`${k} is ignored (it does not change results)`);
    else if (REFUSED[k]) f.problem(REFUSED[k]);
    else f.problem(`${k}: not a promptfoo key Assay supports; remove it`);
  }
  const map: Record<string, string> = {};
  const assay = raw.assay;
  if (assay !== undefined) {
    if (!isObject(assay) || Object.keys(assay).some((k) => k !== 'providers') || (assay.providers !== undefined && !isObject(assay.providers))) {
      f.problem('assay: expected {providers: {<promptfoo provider id>: <assay model>}}');
    } else {
      for (const [k, v] of Object.entries((assay.providers as Record<string, unknown>) ?? {})) {
        if (typeof v === 'string' && v) map[k] = v;
        else f.problem(`assay.providers.${k}: must be an Assay model or route name`);
      }
    }
  }
  Object.assign(map, opts.providerMap ?? {});

  const prompts = loadPrompts(raw.prompts, opts.baseDir, f);
  if (raw.providers !== undefined && raw.targets !== undefined) f.problem('providers and targets are both given; use one');
  const providers = loadProviders(raw.providers ?? raw.targets, map, f);

  // defaultTest
  const dt = raw.defaultTest ?? {};
  const defaults: TestDefaults = { vars: {} };
  let defaultAssert: ReturnType<typeof checkAsserts>;
  let grader: string | undefined;
  if (typeof dt === 'string') f.problem('defaultTest: a file reference is not supported; write it inline');
  else if (!isObject(dt)) f.problem('defaultTest: must be an object');
  else {
    for (const k of Object.keys(dt)) {
      if (!['vars', 'assert', 'options', 'threshold', 'metadata', 'description'].includes(k)) f.problem(`defaultTest.${k}: not supported; remove it`);
    }
    if (dt.vars !== undefined) isObject(dt.vars) ? (defaults.vars = dt.vars) : f.problem('defaultTest.vars: must be an object');
    if (dt.threshold !== undefined) typeof dt.threshold === 'number' && dt.threshold >= 0 && dt.threshold <= 1 ? (defaults.threshold = dt.threshold) : f.problem('defaultTest.threshold: must be a number from 0 to 1');
    if (dt.metadata !== undefined) isObject(dt.metadata) ? (defaults.metadata = dt.metadata) : f.problem('defaultTest.metadata: must be an object');
    defaultAssert = checkAsserts(dt.assert, 'defaultTest.assert', f);
    const o = dt.options;
    if (o !== undefined) {
      if (!isObject(o)) f.problem('defaultTest.options: must be an object');
      else {
        for (const k of Object.keys(o)) {
          if (k === 'runSerially') f.warn('defaultTest.options.runSerially is ignored (it does not change results)');
          else if (k !== 'provider') f.problem(`defaultTest.options.${k}: not supported (only provider, the grader, is); remove it`);
        }
        grader = graderOf(o.provider, map, f);
      }
    }
  }
  if (opts.grader) grader = mapModel(opts.grader, map, f);

  // evaluateOptions
  let repeats = 1;
  let concurrency: number | undefined;
  const eo = raw.evaluateOptions ?? {};
  if (!isObject(eo)) f.problem('evaluateOptions: must be an object');
  else {
    for (const k of Object.keys(eo)) {
      if (EVALUATE_IGNORED.includes(k)) f.warn(`evaluateOptions.${k} is ignored${k === 'cache' ? ' (Assay reports cached calls in the results)' : ''}`);
      else if (!EVALUATE_MAPPED.includes(k)) f.problem(`evaluateOptions.${k}: not supported; remove it`);
    }
    if (eo.repeat !== undefined) positiveInt(eo.repeat) ? (repeats = eo.repeat) : f.problem('evaluateOptions.repeat: must be a positive integer');
    if (eo.maxConcurrency !== undefined) positiveInt(eo.maxConcurrency) ? (concurrency = eo.maxConcurrency) : f.problem('evaluateOptions.maxConcurrency: must be a positive integer');
  }
  if (opts.repeat !== undefined) repeats = opts.repeat;
  if (opts.concurrency !== undefined) concurrency = opts.concurrency;

  const items = itemsOf(rawTests(raw.tests, opts.baseDir, f), defaults, opts.baseDir, f);
  if (raw.tests !== undefined && items.length === 0 && f.problems.length === 0) f.problem('tests: the list is empty');

  let tags: string[] | undefined;
  if (raw.tags !== undefined) {
    if (isObject(raw.tags)) tags = Object.entries(raw.tags).map(([k, v]) => `${k}:${String(v)}`);
    else f.problem('tags: must be a map of name: value');
  }
  const outputPaths = raw.outputPath === undefined ? [] : (Array.isArray(raw.outputPath) ? raw.outputPath : [raw.outputPath]).filter((p): p is string => typeof p === 'string');
  f.check(opts.file);

  const description = typeof raw.description === 'string' ? raw.description.trim() : '';
  const name = (opts.name ?? (description || basename(opts.file, extname(opts.file)))).slice(0, 200);
  const definition: ExperimentDefinition = {
    name,
    items,
    variants: variantsOf(prompts, providers),
    repeats,
    assert: defaultAssert ?? [],
    concurrency: concurrency ?? 4,
  };
  if (description && description !== name) definition.description = description;
  if (grader) definition.grader = grader;
  if (tags?.length) definition.tags = tags;
  return { definition, warnings: f.warnings, outputPaths: outputPaths.map((p) => resolve(opts.baseDir, p)) };
}

function graderOf(p: unknown, map: Record<string, string>, f: Findings): string | undefined {
  if (p === undefined) return undefined;
  if (typeof p === 'string') return mapModel(p, map, f);
  if (isObject(p) && typeof p.id === 'string') {
    if (isObject(p.config) && Object.keys(p.config).some((k) => !['apiKey', 'apiBaseUrl', 'apiHost', 'temperature'].includes(k))) {
      f.warn('defaultTest.options.provider.config is ignored: Assay asks the grader at temperature 0 with a JSON schema');
    }
    return mapModel(p.id, map, f, typeof p.label === 'string' ? p.label : undefined);
  }
  if (isObject(p) && (isObject(p.text) || isObject(p.embedding))) {
    f.problem('defaultTest.options.provider: per-purpose graders ({text, embedding}) are not supported; give one provider id (the grader)');
    return undefined;
  }
  f.problem('defaultTest.options.provider: expected a provider id or {id, config}');
  return undefined;
}
