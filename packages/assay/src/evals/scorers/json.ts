/**
 * Structure assertions: is-json and contains-json (each with an optional JSON Schema in `value`,
 * given as an object or as JSON/YAML text) and is-valid-openai-tools-call (the call's tool calls
 * name offered tools and their arguments match the tools' parameter schemas).
 */
import { parse as parseYaml } from 'yaml';
import { compileSchema, formatIssues, SchemaError, type SchemaValidator } from './json-schema.js';
import { kind, prepareValue, q, ValueError, verdict } from './common.js';
import type { ScorerFactory } from './types.js';

/** A validator for an optional schema value: object/boolean, or JSON/YAML text; undefined/'' = none. */
function schemaValue(v: unknown): SchemaValidator | null {
  if (v === undefined || v === null || v === '') return null;
  let schema = v;
  if (typeof v === 'string') {
    try {
      schema = parseYaml(v);
    } catch (err) {
      throw new ValueError(`the schema text is neither JSON nor YAML: ${(err as Error).message}`);
    }
  }
  if (typeof schema !== 'boolean' && (schema === null || typeof schema !== 'object' || Array.isArray(schema))) {
    throw new ValueError(`a JSON schema must be an object or a boolean, got ${kind(schema)}`);
  }
  try {
    return compileSchema(schema);
  } catch (err) {
    if (err instanceof SchemaError) throw new ValueError(`invalid JSON schema: ${err.message}`);
    throw err;
  }
}

/** Bounds on the scan (brace starts tried, characters visited) so hostile text stays cheap. */
const MAX_STARTS = 2000;
const MAX_SCAN = 5_000_000;

/**
 * JSON objects embedded in text (prose, ``` fences), in order: for each `{`, the balanced span
 * (strings respected) that parses; the scan resumes after a found object.
 */
export function extractJsonObjects(text: string): unknown[] {
  const found: unknown[] = [];
  let starts = 0;
  let scanned = 0;
  for (let i = text.indexOf('{'); i !== -1 && starts < MAX_STARTS && scanned < MAX_SCAN; starts++) {
    let depth = 0;
    let inString = false;
    let end = -1;
    for (let j = i; j < text.length; j++) {
      scanned++;
      const c = text[j];
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) {
          end = j;
          break;
        }
        if (depth < 0) break;
      }
    }
    let next = i + 1;
    if (end !== -1) {
      try {
        found.push(JSON.parse(text.slice(i, end + 1)));
        next = end + 1;
      } catch {
        /* not JSON from here: try the next brace */
      }
    }
    i = text.indexOf('{', next);
  }
  return found;
}

const isJson: ScorerFactory = (spec, _deps, base) => {
  const schema = prepareValue(spec, base, schemaValue, { optional: true });
  return (ctx, env) => {
    const validate = schema(env.vars);
    let parsed: unknown;
    try {
      parsed = JSON.parse(ctx.output);
    } catch (err) {
      return verdict(false, `output is not valid JSON: ${(err as Error).message}`);
    }
    if (!validate) return verdict(true, 'output is valid JSON');
    const issues = validate(parsed);
    return verdict(issues.length === 0, issues.length === 0 ? 'output is JSON that matches the schema' : `output JSON does not match the schema: ${formatIssues(issues)}`, issues.length ? { schemaErrors: issues.slice(0, 20) } : undefined);
  };
};

const containsJson: ScorerFactory = (spec, _deps, base) => {
  const schema = prepareValue(spec, base, schemaValue, { optional: true });
  return (ctx, env) => {
    const validate = schema(env.vars);
    let candidates: unknown[] = [];
    try {
      const whole: unknown = JSON.parse(ctx.output);
      if (whole !== null && typeof whole === 'object') candidates = [whole];
    } catch {
      /* not JSON as a whole: look inside */
    }
    if (candidates.length === 0) candidates = extractJsonObjects(ctx.output);
    if (candidates.length === 0) return verdict(false, 'output contains no JSON object');
    if (!validate) return verdict(true, `output contains ${candidates.length} JSON value(s)`);
    let firstIssues = '';
    for (const c of candidates) {
      const issues = validate(c);
      if (issues.length === 0) return verdict(true, 'output contains JSON that matches the schema');
      firstIssues ||= formatIssues(issues);
    }
    return verdict(false, `output contains JSON, but none matches the schema: ${firstIssues}`);
  };
};

interface ToolDef {
  name: string;
  validate: SchemaValidator | null;
}

/** Tools from OpenAI's shape ({type:'function', function:{name, parameters}}) or {name, parameters}. */
function toolList(v: unknown): ToolDef[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.length === 0) throw new ValueError('value must be a non-empty list of tools');
  return v.map((t, i) => {
    const fn = (t && typeof t === 'object' && 'function' in t ? (t as { function: unknown }).function : t) as { name?: unknown; parameters?: unknown } | null;
    if (!fn || typeof fn.name !== 'string' || fn.name === '') throw new ValueError(`tool ${i} has no name`);
    try {
      return { name: fn.name, validate: fn.parameters === undefined ? null : compileSchema(fn.parameters) };
    } catch (err) {
      throw new ValueError(`tool ${fn.name}: invalid parameters schema: ${(err as Error).message}`);
    }
  });
}

const validToolsCall: ScorerFactory = (spec, _deps, base) => {
  const declared = prepareValue(spec, base, toolList, { optional: true });
  return (ctx, env) => {
    const tools = declared(env.vars) ?? (ctx.tools ? toolList(ctx.tools) : null);
    const calls = ctx.toolCalls ?? [];
    if (calls.length === 0) return verdict(false, 'the output has no tool calls');
    const problems: string[] = [];
    for (const [i, call] of calls.entries()) {
      let args = call.arguments;
      if (typeof args === 'string') {
        try {
          args = JSON.parse(args);
        } catch {
          problems.push(`call ${i} (${call.name}): arguments are not valid JSON`);
          continue;
        }
      }
      if (args === null || typeof args !== 'object' || Array.isArray(args)) {
        problems.push(`call ${i} (${call.name}): arguments are not a JSON object`);
        continue;
      }
      if (!tools) continue;
      const tool = tools.find((t) => t.name === call.name);
      if (!tool) {
        problems.push(`call ${i}: ${q(call.name)} is not one of the offered tools (${tools.map((t) => t.name).join(', ')})`);
        continue;
      }
      const issues = tool.validate?.(args) ?? [];
      if (issues.length) problems.push(`call ${i} (${call.name}): ${formatIssues(issues, 3)}`);
    }
    const checked = tools ? 'against the tool schemas' : '(no tool list known: only the argument JSON was checked)';
    return verdict(problems.length === 0, problems.length === 0 ? `${calls.length} tool call(s) valid ${checked}` : problems.join('; '));
  };
};

export const jsonScorers: Record<string, ScorerFactory> = {
  'is-json': isJson,
  'contains-json': containsJson,
  'is-valid-openai-tools-call': validToolsCall,
};
