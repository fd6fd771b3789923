/**
 * A light check of a tool call's arguments against the tool's parameter schema: required
 * arguments present, and each given argument of the declared `type` / `enum`. Not a full JSON
 * Schema validator: its job is a clear message the model can act on before anything is sent.
 */
import type { JsonSchema } from '../types.js';

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function matchesType(v: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'null':
      return v === null;
    default:
      return true;
  }
}

function problemOf(name: string, v: unknown, schema: Record<string, unknown>): string | null {
  const type = schema.type;
  const types = typeof type === 'string' ? [type] : Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : [];
  if (types.length && !types.some((t) => matchesType(v, t))) {
    const shown = typeof v === 'string' ? ` ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}` : '';
    return `"${name}" must be ${types.map((t) => (t === 'integer' ? 'an integer' : t === 'array' || t === 'object' ? `an ${t}` : `a ${t}`)).join(' or ')} (got ${describe(v)}${shown})`;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    return `"${name}" must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')} (got ${JSON.stringify(v)})`;
  }
  if (Array.isArray(v) && schema.items && typeof schema.items === 'object' && !Array.isArray(schema.items)) {
    for (let i = 0; i < v.length; i++) {
      const p = problemOf(`${name}[${i}]`, v[i], schema.items as Record<string, unknown>);
      if (p) return p;
    }
  }
  return null;
}

/** The problems of `args` (empty when they are usable). `alsoRequired` adds e.g. path placeholders. */
export function argumentProblems(parameters: JsonSchema, args: Record<string, unknown>, alsoRequired: readonly string[] = []): string[] {
  const props = (parameters.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set([...((parameters.required as string[] | undefined) ?? []), ...alsoRequired]);
  const problems: string[] = [];
  const missing = [...required].filter((r) => args[r] === undefined || args[r] === null);
  if (missing.length) problems.push(`missing required argument${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}`);
  for (const [name, value] of Object.entries(args)) {
    const schema = props[name];
    if (!schema || value === undefined || (value === null && !required.has(name))) continue;
    const p = problemOf(name, value, schema);
    if (p) problems.push(p);
  }
  return problems;
}

/** The arguments that may be sent: the declared ones, or all of them with additionalProperties: true. */
export function sendableArgs(parameters: JsonSchema, args: Record<string, unknown>): Record<string, unknown> {
  const props = (parameters.properties ?? {}) as Record<string, unknown>;
  if (parameters.additionalProperties === true) return args;
  return Object.fromEntries(Object.entries(args).filter(([k]) => Object.hasOwn(props, k)));
}
