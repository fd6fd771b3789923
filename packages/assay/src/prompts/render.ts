/**
 * Templates: `{{ name }}` (spaces inside the braces allowed) is replaced by the variable `name`;
 * `\{{` writes a literal `{{`; nothing else is special (no sections, no code, no HTML escaping).
 * Templates are compiled once per version into literal/variable parts, so rendering is one pass of
 * string concatenation. Every variable a version uses must be given (a 400 names the missing ones);
 * extra variables are ignored. Strings are inserted as they are, other JSON values as JSON.
 */
import { badRequest } from '../errors.js';
import type { ChatMessage } from '../gateway/types.js';
import type { ChatItem, FilledMessage, PromptBody, PromptType, VersionRecord } from './types.js';

const TOKEN = /\\\{\{|\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Literal strings at even indexes, variable names at odd ones (`parts.length` is odd). */
export interface Template {
  readonly parts: readonly string[];
  readonly variables: readonly string[];
}

export function compileTemplate(source: string): Template {
  const parts: string[] = [];
  const variables = new Set<string>();
  let literal = '';
  let last = 0;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(source); m; m = TOKEN.exec(source)) {
    literal += source.slice(last, m.index);
    last = m.index + m[0].length;
    if (m[1] === undefined) {
      literal += '{{'; // the escape \{{
      continue;
    }
    parts.push(literal, m[1]);
    variables.add(m[1]);
    literal = '';
  }
  parts.push(literal + source.slice(last));
  return { parts, variables: [...variables] };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? '';
}

/** Fills a compiled template; every variable must be present in `vars` (checked by the caller). */
export function fillTemplate(t: Template, vars: Readonly<Record<string, unknown>>): string {
  const p = t.parts;
  if (p.length === 1) return p[0];
  let out = p[0];
  for (let i = 1; i < p.length; i += 2) out += text(vars[p[i]]) + p[i + 1];
  return out;
}

/** Renders a one-off template (e.g. an experiment's inline prompt): a 400 names every missing variable. */
export function renderTemplate(source: string, vars: Readonly<Record<string, unknown>>): string {
  const t = compileTemplate(source);
  const missing = t.variables.filter((v) => !Object.prototype.hasOwnProperty.call(vars, v) || vars[v] === undefined);
  if (missing.length) {
    throw badRequest(`the template needs variable${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} (it uses: ${t.variables.join(', ')})`, 'variables', 'missing_prompt_variables');
  }
  return fillTemplate(t, vars);
}

/** A version compiled for rendering: one template per message (chat) or one for the text. */
export interface CompiledVersion {
  readonly record: VersionRecord;
  readonly text: Template | null;
  readonly items: readonly ({ role: string; template: Template } | { placeholder: string })[];
  /** Every variable the version uses, in order of first use. */
  readonly variables: readonly string[];
  readonly placeholders: readonly string[];
}

export function compileVersion(record: VersionRecord): CompiledVersion {
  if (typeof record.prompt === 'string') {
    const t = compileTemplate(record.prompt);
    return { record, text: t, items: [], variables: t.variables, placeholders: [] };
  }
  const vars = new Set<string>();
  const placeholders: string[] = [];
  const items = (record.prompt as ChatItem[]).map((m) => {
    if ('type' in m) {
      placeholders.push(m.name);
      return { placeholder: m.name };
    }
    const template = compileTemplate(m.content);
    for (const v of template.variables) vars.add(v);
    return { role: m.role, template };
  });
  return { record, text: null, items, variables: [...vars], placeholders };
}

/** The variables a template (or a chat prompt's messages) uses. */
export function variablesOf(body: PromptBody): string[] {
  if (typeof body === 'string') return [...compileTemplate(body).variables];
  const out = new Set<string>();
  for (const m of body) if (!('type' in m)) for (const v of compileTemplate(m.content).variables) out.add(v);
  return [...out];
}

/** A rendered prompt: the messages it contributes to a call (a text prompt is one system message). */
export interface RenderedPrompt {
  name: string;
  version: number;
  type: PromptType;
  messages: ChatMessage[];
  /** The rendered text of a text prompt; null for chat prompts. */
  text: string | null;
  config: Record<string, unknown>;
}

export interface RenderArgs {
  variables?: Readonly<Record<string, unknown>>;
  /** Messages for each placeholder of a chat prompt (an empty array for none). */
  placeholders?: Readonly<Record<string, readonly FilledMessage[]>>;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

function missingError(v: CompiledVersion, missing: string[], kind: 'variables' | 'placeholders'): Error {
  const r = v.record;
  const where = kind === 'variables' ? 'variables' : 'placeholders';
  const hint = kind === 'placeholders' ? ' (pass [] for no messages)' : '';
  return badRequest(
    `prompt "${r.name}" version ${r.version} needs ${kind === 'variables' ? 'variable' : 'placeholder'}${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}: ` +
      `give ${missing.length > 1 ? 'them' : 'it'} in ${where}${hint} (it uses: ${(kind === 'variables' ? v.variables : v.placeholders).join(', ')})`,
    where,
    kind === 'variables' ? 'missing_prompt_variables' : 'missing_prompt_placeholders',
  );
}

/** Renders a compiled version: 400 naming every missing variable or placeholder. */
export function renderCompiled(v: CompiledVersion, args: RenderArgs = {}): RenderedPrompt {
  const vars = args.variables ?? EMPTY;
  let missing: string[] | null = null;
  for (const name of v.variables) {
    if (!Object.prototype.hasOwnProperty.call(vars, name) || vars[name] === undefined) (missing ??= []).push(name);
  }
  if (missing) throw missingError(v, missing, 'variables');
  const r = v.record;
  if (v.text) {
    const rendered = fillTemplate(v.text, vars);
    return { name: r.name, version: r.version, type: r.type, messages: [{ role: 'system', content: rendered }], text: rendered, config: r.config };
  }
  const fills = args.placeholders ?? {};
  const absent = v.placeholders.filter((p) => !Object.prototype.hasOwnProperty.call(fills, p));
  if (absent.length) throw missingError(v, absent, 'placeholders');
  const messages: ChatMessage[] = [];
  for (const item of v.items) {
    if ('placeholder' in item) messages.push(...(fills[item.placeholder] as ChatMessage[]));
    else messages.push({ role: item.role as ChatMessage['role'], content: fillTemplate(item.template, vars) });
  }
  return { name: r.name, version: r.version, type: r.type, messages, text: null, config: r.config };
}
