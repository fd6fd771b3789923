/**
 * {{variable}} rendering for assertion values, metric names and grader prompts, with the prompt
 * registry's syntax (prompts/render.ts compiles the templates): `{{ name }}` with an identifier
 * name, `\{{` for a literal `{{`, strings inserted as they are and other values as JSON. Text
 * substituted in is never rendered again, so an output containing `{{x}}` stays as it is.
 * `renderValue` keeps a value that is exactly one placeholder as the raw variable (so
 * `value: '{{keywords}}'` can be an array) and renders the strings inside objects and arrays.
 */
import { compileTemplate, type Template } from '../../prompts/render.js';

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export interface RenderOptions {
  /** A variable that is not given: throw (default), render '' or keep the placeholder. */
  onMissing?: 'error' | 'empty' | 'keep';
}

const cache = new Map<string, Template>();

function compiled(source: string): Template {
  let t = cache.get(source);
  if (!t) {
    if (cache.size > 1000) cache.clear();
    t = compileTemplate(source);
    cache.set(source, t);
  }
  return t;
}

const given = (vars: Record<string, unknown>, name: string) => Object.hasOwn(vars, name) && vars[name] !== undefined;

function text(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
}

/** True when `v` (or a string inside it) uses a variable. */
export function hasTemplate(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('{{') && compiled(v).variables.length > 0;
  if (Array.isArray(v)) return v.some(hasTemplate);
  if (v && typeof v === 'object') return Object.values(v).some(hasTemplate);
  return false;
}

/** Substitutes every {{name}} in `template` with the variable's text. */
export function renderTemplate(template: string, vars: Record<string, unknown>, opts: RenderOptions = {}): string {
  if (!template.includes('{{')) return template;
  const t = compiled(template);
  const onMissing = opts.onMissing ?? 'error';
  if (onMissing === 'error') {
    const missing = t.variables.filter((name) => !given(vars, name));
    if (missing.length) throw new TemplateError(`template variable${missing.length > 1 ? 's' : ''} ${missing.map((m) => `{{${m}}}`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not defined`);
  }
  const p = t.parts;
  let out = p[0];
  for (let i = 1; i < p.length; i += 2) {
    const name = p[i];
    out += (given(vars, name) ? text(vars[name]) : onMissing === 'keep' ? `{{${name}}}` : '') + p[i + 1];
  }
  return out;
}

/** Renders strings (deeply); a string that is exactly one placeholder yields the variable itself. */
export function renderValue(value: unknown, vars: Record<string, unknown>, opts: RenderOptions = {}): unknown {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return value;
    const p = compiled(value).parts;
    if (p.length === 3 && p[0] === '' && p[2] === '' && given(vars, p[1])) return vars[p[1]];
    return renderTemplate(value, vars, opts);
  }
  if (Array.isArray(value)) return value.map((v) => renderValue(v, vars, opts));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderValue(v, vars, opts)]));
  }
  return value;
}
