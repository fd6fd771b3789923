/**
 * promptfoo `prompts` × `providers` (alias `targets`) → Assay experiment variants. A provider id
 * maps to an Assay model (a route name or "<provider>/<model>") through `--provider-map id=model`,
 * then the file's `assay.providers` map, else the part after the last ":" as is
 * (`openai:chat:gpt-4o-mini` → `gpt-4o-mini`). Providers that need something a chat gateway call
 * cannot give (echo, responses, scripts, HTTP targets) are refused unless mapped. Provider `config`
 * becomes request params; connection settings (apiKey, apiBaseUrl …) are dropped with a warning.
 */
import { basename, extname } from 'node:path';
import type { ChatMessage } from '../../gateway/types.js';
import type { VariantSpec } from '../../evals/experiments/types.js';
import { Findings, isFileRef, isObject, parseData, readText, refPath, unknownKeys } from './common.js';

export interface PromptSpec {
  label: string;
  messages: ChatMessage[];
}

export interface ProviderSpec {
  /** The promptfoo id as written. */
  id: string;
  label: string;
  model: string;
  params: Record<string, unknown>;
}

/** Connection settings: meaningless through the gateway (Assay holds the upstream keys). */
const CONNECTION_KEYS = ['apiKey', 'apiKeyEnvar', 'apiBaseUrl', 'apiHost', 'baseUrl', 'organization', 'headers', 'cost', 'passthrough'];
/** Provider config keys that change what is sent or graded in ways a gateway call cannot reproduce. */
const UNSUPPORTED_CONFIG = ['transformResponse', 'transformRequest', 'functionToolCallbacks', 'prompts', 'systemPrompt'];
const REFUSED_PREFIXES: [RegExp, string][] = [
  [/^openai:responses:/, 'the OpenAI Responses API is not what an Assay experiment calls (it sends chat completions)'],
  [/^openai:(assistant|embeddings?|image|realtime|completion|moderation):/, 'only chat models run in an Assay experiment'],
  [/^(file|https?):\/\//, 'custom and HTTP providers run outside the gateway'],
  [/^(exec|python|ruby|golang|webhook|script|sequence|browser|mcp):/, 'script providers run outside the gateway'],
];
const ROLES = new Set(['system', 'developer', 'user', 'assistant']);
const TEMPLATE = /\{\{([^}]*)\}\}|\{%/g;

/** The model an id maps to, or a problem. */
export function mapModel(id: string, map: Record<string, string>, f: Findings, label?: string): string | undefined {
  const mapped = map[id] ?? (label !== undefined ? map[label] : undefined);
  if (mapped) return mapped;
  if (id === 'echo') {
    f.problem(`provider "echo": an experiment calls models through the gateway, and there is no echo model; map it to one (--provider-map echo=<model> or assay.providers)`);
    return undefined;
  }
  for (const [re, why] of REFUSED_PREFIXES) {
    if (re.test(id)) {
      f.problem(`provider "${id}": ${why}; map it to an Assay model or route (--provider-map ${id}=<model> or assay.providers)`);
      return undefined;
    }
  }
  const model = id.slice(id.lastIndexOf(':') + 1);
  if (!model) f.problem(`provider "${id}": no model name after the last ":"`);
  return model || undefined;
}

function providerParams(id: string, config: Record<string, unknown>, f: Findings): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (CONNECTION_KEYS.includes(k)) f.warn(`provider "${id}": config.${k} is ignored (calls go through Assay, which holds the upstream settings)`);
    else if (UNSUPPORTED_CONFIG.includes(k)) f.problem(`provider "${id}": config.${k} is not supported; remove it (put a system prompt in the prompt's messages)`);
    else params[k] = v;
  }
  return params;
}

/** The providers (or targets) of a config; each string, {id, label, config} or {<id>: {label, config}} entry. */
export function loadProviders(raw: unknown, map: Record<string, string>, f: Findings): ProviderSpec[] {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) f.problem('providers: none given; list at least one (e.g. providers: [openai:chat:gpt-4o-mini])');
  const out: ProviderSpec[] = [];
  list.forEach((p, i) => {
    let id: unknown;
    let label: unknown;
    let config: unknown = {};
    if (typeof p === 'string') id = p;
    else if (isObject(p) && typeof p.id === 'string') {
      const extra = unknownKeys(p, ['id', 'label', 'config', 'delay']);
      if (extra.length) f.problem(`providers[${i}] (${p.id}): ${extra.join(', ')} ${extra.length === 1 ? 'is' : 'are'} not supported; remove or move into config`);
      if (p.delay !== undefined) f.warn(`providers[${i}]: delay is ignored`);
      ({ id, label, config = {} } = p);
    } else if (isObject(p) && Object.keys(p).length === 1 && isObject(Object.values(p)[0])) {
      // promptfoo's map form: - openai:chat:gpt-4o: {label, config}
      const [[k, v]] = Object.entries(p) as [string, Record<string, unknown>][];
      id = k;
      ({ label, config = {} } = v);
    } else {
      return f.problem(`providers[${i}]: expected an id string or {id, label, config}`);
    }
    if (label !== undefined && typeof label !== 'string') return f.problem(`providers[${i}].label: must be a string`);
    if (!isObject(config)) return f.problem(`providers[${i}].config: must be an object`);
    const model = mapModel(id as string, map, f, label as string | undefined);
    if (!model) return;
    out.push({ id: id as string, label: (label as string | undefined) ?? (id as string), model, params: providerParams(id as string, config, f) });
  });
  const labels = out.map((p) => p.label);
  labels.forEach((l, i) => labels.indexOf(l) !== i && f.problem(`providers: two providers are labelled "${l}"; give each a distinct label`));
  return out;
}

function checkTemplate(text: string, where: string, f: Findings): void {
  for (const m of text.matchAll(TEMPLATE)) {
    if (m[0] === '{%' || !/^\s*[A-Za-z_][A-Za-z0-9_]*\s*$/.test(m[1])) {
      f.problem(`${where}: "${m[0] === '{%' ? '{% … %}' : m[0]}" is Nunjucks beyond plain {{var}}; Assay templates only substitute {{name}} (compute the value into a var instead)`);
      return;
    }
  }
}

/** A prompt's text → chat messages: a JSON chat array as such, else one user message. */
function messagesOf(text: string, where: string, f: Findings, json = false): ChatMessage[] | undefined {
  const t = text.trim();
  if (json || t.startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch (err) {
      if (!json) return [{ role: 'user', content: text }];
      f.problem(`${where}: not valid JSON (${(err as Error).message})`);
      return undefined;
    }
    if (Array.isArray(v) && v.length > 0 && v.every((m) => isObject(m) && typeof m.role === 'string' && ROLES.has(m.role))) {
      for (const m of v as ChatMessage[]) if (typeof m.content === 'string') checkTemplate(m.content, where, f);
      return v as ChatMessage[];
    }
    if (json) {
      f.problem(`${where}: a .json prompt must be an array of chat messages [{"role": "user", "content": "…"}]`);
      return undefined;
    }
  }
  checkTemplate(text, where, f);
  return [{ role: 'user', content: text }];
}

function filePrompts(ref: string, label: string | undefined, baseDir: string, f: Findings): PromptSpec[] {
  const path = refPath(ref, baseDir);
  const ext = extname(path).toLowerCase();
  if (/[*?]/.test(path)) return (f.problem(`prompts: ${ref}: globs are not supported; list the files`), []);
  if (!['.txt', '.md', '.json', '.yaml', '.yml'].includes(ext)) {
    return (f.problem(`prompts: ${ref}: ${ext || 'this file type'} prompts (prompt functions) are not supported; use .txt, .md or a .json/.yaml chat array`), []);
  }
  const text = readText(path, 'prompts', f);
  if (text === undefined) return [];
  const name = label ?? basename(path);
  if (ext === '.json' || ext === '.yaml' || ext === '.yml') {
    const data = ext === '.json' ? text : JSON.stringify(parseData(text, `prompts: ${ref}`, f) ?? null);
    const messages = messagesOf(data, `prompts: ${ref}`, f, true);
    return messages ? [{ label: name, messages }] : [];
  }
  // promptfoo: a text file holds several prompts separated by a line of ---.
  const parts = text.split(/\r?\n-{3,}\r?\n/).filter((p) => p.trim() !== '');
  return parts.flatMap((p, i) => {
    const messages = messagesOf(p.trim(), `prompts: ${ref}`, f);
    return messages ? [{ label: parts.length > 1 ? `${name}#${i + 1}` : name, messages }] : [];
  });
}

/** The prompts of a config: strings, file:// references, {id|raw, label}. */
export function loadPrompts(raw: unknown, baseDir: string, f: Findings): PromptSpec[] {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) f.problem('prompts: none given; list at least one (e.g. prompts: ["Answer: {{question}}"])');
  const out: PromptSpec[] = [];
  list.forEach((p, i) => {
    const where = `prompts[${i}]`;
    if (typeof p === 'string') {
      if (isFileRef(p)) return void out.push(...filePrompts(p, undefined, baseDir, f));
      const messages = messagesOf(p, where, f);
      if (messages) out.push({ label: `prompt-${i + 1}`, messages });
      return;
    }
    if (!isObject(p)) return f.problem(`${where}: expected a string, file://path or {raw|id, label}`);
    const extra = unknownKeys(p, ['id', 'raw', 'label']);
    if (extra.length) return f.problem(`${where}: ${extra.join(', ')} not supported (a prompt is a string, file://path or {raw|id, label})`);
    const label = typeof p.label === 'string' ? p.label : undefined;
    const body = p.raw ?? p.id;
    if (typeof body !== 'string') return f.problem(`${where}: give raw (the template) or id (a file:// path)`);
    if (isFileRef(body)) return void out.push(...filePrompts(body, label, baseDir, f));
    const messages = messagesOf(body, where, f);
    if (messages) out.push({ label: label ?? `prompt-${i + 1}`, messages });
  });
  const labels = out.map((p) => p.label);
  labels.forEach((l, i) => labels.indexOf(l) !== i && f.problem(`prompts: two prompts are labelled "${l}"; give each a distinct label`));
  return out;
}

/** Every prompt × provider: one variant each (id `prompt:provider`, or the provider label with one prompt). */
export function variantsOf(prompts: PromptSpec[], providers: ProviderSpec[]): VariantSpec[] {
  return prompts.flatMap((pr) =>
    providers.map((pv) => {
      const v: VariantSpec = { id: (prompts.length === 1 ? pv.label : `${pr.label}:${pv.label}`).slice(0, 100), model: pv.model, messages: pr.messages };
      if (Object.keys(pv.params).length) v.params = pv.params;
      return v;
    }),
  );
}
