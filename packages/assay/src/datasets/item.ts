/**
 * One item from JSON, in any of the accepted shapes (docs/datasets.md "Formats"):
 *  - Assay's own: `{id, input: {messages} | {vars}, expected, assert, metadata, source}`;
 *  - shorthand: `{messages: [...]}` or `{vars: {...}}` at the top level;
 *  - a promptfoo test case: `{vars, assert, description, threshold, options, metadata}` (description,
 *    threshold and options are kept in metadata);
 *  - an OpenAI Evals sample: `{input: [chat messages], ideal}` (ideal becomes expected; a string
 *    input is one user message).
 * Validation reports every problem with its field path. Also: the canonical form used to tell
 * whether a write changes an item, and new item ids.
 */
import { randomBytes } from 'node:crypto';
import type { ChatMessage } from '../gateway/types.js';
import type { Assertion, ItemDraft, ItemInput, ItemSource } from './types.js';

export interface FieldError {
  /** The field path, e.g. `input.messages[1].role`. */
  field: string;
  message: string;
}

export type ParsedItem = { ok: true; item: ItemDraft } | { ok: false; errors: FieldError[] };

const FIELDS = ['id', 'input', 'messages', 'vars', 'expected', 'ideal', 'assert', 'metadata', 'source', 'description', 'threshold', 'options'];
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
export const MAX_ID_LENGTH = 200;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const newItemId = (): string => `it_${randomBytes(8).toString('hex')}`;

/** The problem with an item id, or null when it is fine. */
export function idProblem(id: unknown): string | null {
  if (typeof id !== 'string') return `must be a string, not ${describeValue(id)}`;
  if (id.length === 0 || id.length > MAX_ID_LENGTH) return `must be 1–${MAX_ID_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(id)) return 'must not contain control characters (tabs, line breaks)';
  return null;
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v} (${JSON.stringify(v)?.slice(0, 40)})`;
}

/** Chat messages: a non-empty array of objects with a known role and string, array or null content. */
export function checkMessages(v: unknown, field: string, errors: FieldError[]): v is ChatMessage[] {
  if (!Array.isArray(v)) return !errors.push({ field, message: `must be an array of chat messages, not ${describeValue(v)}` });
  if (v.length === 0) return !errors.push({ field, message: 'must hold at least one message' });
  const before = errors.length;
  v.forEach((m, i) => {
    const f = `${field}[${i}]`;
    if (!isObject(m)) return errors.push({ field: f, message: `must be a message object ({"role": "user", "content": "…"}), not ${describeValue(m)}` });
    if (typeof m.role !== 'string' || !ROLES.has(m.role)) {
      errors.push({ field: `${f}.role`, message: `must be one of ${[...ROLES].join(', ')} (got ${JSON.stringify(m.role) ?? 'nothing'})` });
    }
    const c = m.content;
    if (c !== undefined && c !== null && typeof c !== 'string' && !Array.isArray(c)) {
      errors.push({ field: `${f}.content`, message: `must be a string or an array of content parts, not ${describeValue(c)}` });
    }
  });
  return errors.length === before;
}

/** Assertions: an array of objects, each with a string `type`. An empty array is none. */
export function checkAssert(v: unknown, field: string, errors: FieldError[]): Assertion[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) {
    errors.push({ field, message: `must be an array of assertion objects like {"type": "contains", "value": "Paris"}, not ${describeValue(v)}` });
    return null;
  }
  v.forEach((a, i) => {
    if (!isObject(a)) errors.push({ field: `${field}[${i}]`, message: `must be an assertion object with a "type", not ${describeValue(a)}` });
    else if (typeof a.type !== 'string' || a.type === '') errors.push({ field: `${field}[${i}].type`, message: 'is required: a string such as "contains" or "llm-rubric"' });
  });
  return v.length ? (v as Assertion[]) : null;
}

function checkSource(v: unknown, errors: FieldError[]): ItemSource | null {
  if (v === undefined || v === null) return null;
  if (!isObject(v) || typeof v.trace_id !== 'string' || v.trace_id === '') {
    errors.push({ field: 'source', message: 'must be {"trace_id": "…", "observation_id": "…"} (the trace the item came from)' });
    return null;
  }
  const extra = Object.keys(v).filter((k) => k !== 'trace_id' && k !== 'observation_id');
  if (extra.length) errors.push({ field: `source.${extra[0]}`, message: 'is not a source field: a source has trace_id and observation_id' });
  if (v.observation_id !== undefined && v.observation_id !== null && typeof v.observation_id !== 'string') {
    errors.push({ field: 'source.observation_id', message: 'must be a string or null' });
  }
  return { trace_id: v.trace_id, observation_id: (v.observation_id as string | null | undefined) ?? null };
}

/** The input of an item from its `input`, `messages` or `vars` field (exactly one). */
function readInput(raw: Record<string, unknown>, errors: FieldError[]): ItemInput | null {
  const given = (['input', 'messages', 'vars'] as const).filter((k) => raw[k] !== undefined && raw[k] !== null);
  if (given.length === 0) {
    errors.push({ field: 'input', message: 'is required: {"messages": [...]} (a conversation) or {"vars": {...}} (template variables)' });
    return null;
  }
  if (given.length > 1) {
    errors.push({ field: given[1], message: `give exactly one input: ${given.join(' and ')} were both given (an item has messages or vars, not both)` });
    return null;
  }
  const key = given[0];
  let v = raw[key];
  let field: string = key;
  if (key === 'input') {
    if (typeof v === 'string') return { messages: [{ role: 'user', content: v }] }; // OpenAI Evals, single prompt
    if (Array.isArray(v)) return checkMessages(v, 'input', errors) ? { messages: v } : null; // OpenAI Evals
    if (!isObject(v)) {
      errors.push({ field: 'input', message: `must be {"messages": [...]} or {"vars": {...}}, not ${describeValue(v)}` });
      return null;
    }
    const keys = Object.keys(v);
    const inner = keys.filter((k) => k === 'messages' || k === 'vars');
    if (inner.length !== 1) {
      errors.push({
        field: 'input',
        message: inner.length ? 'give exactly one of input.messages and input.vars, not both' : 'must hold messages (a conversation) or vars (template variables)',
      });
      return null;
    }
    const extra = keys.find((k) => k !== inner[0]);
    if (extra !== undefined) {
      errors.push({ field: `input.${extra}`, message: 'is not an input field: an input is {"messages": [...]} or {"vars": {...}}' });
      return null;
    }
    field = `input.${inner[0]}`;
    v = v[inner[0]];
    if (inner[0] === 'vars') return checkVars(v, field, errors);
    return checkMessages(v, field, errors) ? { messages: v } : null;
  }
  if (key === 'vars') return checkVars(v, field, errors);
  return checkMessages(v, field, errors) ? { messages: v } : null;
}

function checkVars(v: unknown, field: string, errors: FieldError[]): ItemInput | null {
  if (!isObject(v)) {
    errors.push({ field, message: `must be an object of variable name → value, not ${describeValue(v)}` });
    return null;
  }
  return { vars: v };
}

/** An item from JSON in any accepted shape, or every problem found with it. */
export function parseItem(raw: unknown): ParsedItem {
  if (!isObject(raw)) return { ok: false, errors: [{ field: '', message: `an item must be a JSON object, not ${describeValue(raw)}` }] };
  const errors: FieldError[] = [];
  for (const k of Object.keys(raw)) {
    if (!FIELDS.includes(k)) {
      errors.push({
        field: k,
        message: 'is not an item field: an item has id, input (or messages / vars), expected (or ideal), assert, metadata, source, and the promptfoo fields description, threshold, options',
      });
    }
  }
  let id: string | undefined;
  if (raw.id !== undefined && raw.id !== null) {
    const p = idProblem(raw.id);
    if (p) errors.push({ field: 'id', message: p });
    else id = raw.id as string;
  }
  const input = readInput(raw, errors);
  if (raw.expected !== undefined && raw.expected !== null && raw.ideal !== undefined && raw.ideal !== null) {
    errors.push({ field: 'ideal', message: 'give expected or ideal (the OpenAI Evals name for it), not both' });
  }
  const expected = raw.expected ?? raw.ideal ?? null;
  const assert = checkAssert(raw.assert, 'assert', errors);
  let metadata: Record<string, unknown> | null = null;
  if (raw.metadata !== undefined && raw.metadata !== null) {
    if (isObject(raw.metadata)) metadata = { ...raw.metadata };
    else errors.push({ field: 'metadata', message: `must be a JSON object, not ${describeValue(raw.metadata)}` });
  }
  // promptfoo test-case fields with no column of their own: kept in metadata.
  const extra: Record<string, unknown> = {};
  if (raw.description !== undefined && raw.description !== null) {
    if (typeof raw.description === 'string') extra.description = raw.description;
    else errors.push({ field: 'description', message: 'must be a string' });
  }
  if (raw.threshold !== undefined && raw.threshold !== null) {
    if (typeof raw.threshold === 'number' && Number.isFinite(raw.threshold)) extra.threshold = raw.threshold;
    else errors.push({ field: 'threshold', message: 'must be a number (the share of the weighted assertion score a test needs to pass)' });
  }
  if (raw.options !== undefined && raw.options !== null) {
    if (isObject(raw.options)) extra.options = raw.options;
    else errors.push({ field: 'options', message: 'must be an object (promptfoo test options)' });
  }
  if (Object.keys(extra).length) metadata = { ...(metadata ?? {}), ...extra };
  if (metadata && Object.keys(metadata).length === 0) metadata = null;
  const source = checkSource(raw.source, errors);
  if (errors.length || !input) return { ok: false, errors };
  return { ok: true, item: { ...(id === undefined ? {} : { id }), input, expected, assert, metadata, source } };
}

/** JSON with object keys sorted: equal for equal values, whatever order their keys were written in. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  if (isObject(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The content of an item (everything but its id and times): equal keys mean an unchanged item. */
export function contentKey(d: Pick<ItemDraft, 'input' | 'expected' | 'assert' | 'metadata' | 'source'>): string {
  return canonicalJson([d.input, d.expected ?? null, d.assert ?? null, d.metadata ?? null, d.source ?? null]);
}

/** A test case in promptfoo's flat shape (what an experiment's inline `tests:` hold): input fields at the top, metadata.description/threshold lifted. */
export interface TestCase {
  id: string;
  vars?: Record<string, unknown>;
  messages?: ChatMessage[];
  expected?: unknown;
  assert?: Assertion[];
  description?: string;
  threshold?: number;
  metadata?: Record<string, unknown>;
}

export function toTestCase(item: Pick<ItemDraft, 'input' | 'expected' | 'assert' | 'metadata'> & { id: string }): TestCase {
  const out: TestCase = { id: item.id, ...item.input };
  if (item.expected !== null && item.expected !== undefined) out.expected = item.expected;
  if (item.assert?.length) out.assert = item.assert;
  const m = item.metadata;
  if (m) {
    out.metadata = m;
    if (typeof m.description === 'string') out.description = m.description;
    if (typeof m.threshold === 'number') out.threshold = m.threshold;
  }
  return out;
}
