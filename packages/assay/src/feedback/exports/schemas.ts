/**
 * The JSON Schema of every export format (draft 2020-12, closed objects: required keys, no extra
 * keys, fixed roles and types), after the published shapes: TRL's dataset formats and OpenAI's
 * fine-tuning files (reference §9). Every row is checked against its schema, through the ajv-based
 * compileSchema of the eval scorers, before it is written.
 */
import { compileSchema, formatIssues, type SchemaValidator } from '../../evals/scorers/json-schema.js';
import type { ExportFormat, TrlStyle } from './types.js';

type Schema = Record<string, unknown>;

const str = { type: 'string' };
const closed = (properties: Schema, required: string[]): Schema => ({ type: 'object', properties, required, additionalProperties: false });
const list = (items: Schema, exactly?: number): Schema =>
  exactly === undefined ? { type: 'array', items, minItems: 1 } : { type: 'array', items, minItems: exactly, maxItems: exactly };

const toolDef = closed(
  {
    type: { const: 'function' },
    function: closed(
      { name: { type: 'string', minLength: 1 }, description: str, parameters: { type: 'object' }, strict: { type: 'boolean' } },
      ['name'],
    ),
  },
  ['type', 'function'],
);
const tools = { type: 'array', items: toolDef };

// ---- TRL conversational messages ----
const trlToolCall = closed(
  { type: { const: 'function' }, function: closed({ name: { type: 'string', minLength: 1 }, arguments: { type: 'object' } }, ['name', 'arguments']) },
  ['type', 'function'],
);
const trlAssistant: Schema = {
  ...closed({ role: { const: 'assistant' }, content: str, tool_calls: { type: 'array', items: trlToolCall, minItems: 1 } }, ['role']),
  anyOf: [{ required: ['content'] }, { required: ['tool_calls'] }],
};
const trlText = closed({ role: { enum: ['system', 'user'] }, content: str }, ['role', 'content']);
const trlTool = closed({ role: { const: 'tool' }, name: { type: 'string', minLength: 1 }, content: str }, ['role', 'name', 'content']);
const trlAny = { oneOf: [trlText, trlAssistant, trlTool] };

// ---- OpenAI messages ----
const oaToolCall = closed(
  {
    id: { type: 'string', minLength: 1 },
    type: { const: 'function' },
    function: closed({ name: { type: 'string', minLength: 1 }, arguments: str }, ['name', 'arguments']),
  },
  ['id', 'type', 'function'],
);
const oaAssistantProps = { role: { const: 'assistant' }, content: { type: ['string', 'null'] }, tool_calls: { type: 'array', items: oaToolCall, minItems: 1 } };
const oaAssistant = closed({ ...oaAssistantProps, weight: { enum: [0, 1] } }, ['role', 'content']);
const oaOutput = closed(oaAssistantProps, ['role', 'content']);
const oaText = closed({ role: { enum: ['system', 'user'] }, content: str }, ['role', 'content']);
const oaTool = closed({ role: { const: 'tool' }, tool_call_id: { type: 'string', minLength: 1 }, content: str }, ['role', 'tool_call_id', 'content']);
const oaAny = { oneOf: [oaText, oaAssistant, oaTool] };
const oaInputProps = { tools, parallel_tool_calls: { type: 'boolean' } };

const margin = { type: 'number' };

/** The schema of one format and style (OpenAI formats have one style). */
export function formatSchema(format: ExportFormat, style: TrlStyle): Schema {
  const conv = style === 'conversational';
  switch (format) {
    case 'trl-preference':
      return conv
        ? closed({ prompt: list(trlAny), chosen: list(trlAssistant, 1), rejected: list(trlAssistant, 1), margin, tools }, ['prompt', 'chosen', 'rejected'])
        : closed({ prompt: str, chosen: str, rejected: str, margin }, ['prompt', 'chosen', 'rejected']);
    case 'trl-preference-implicit':
      return conv
        ? closed({ chosen: list(trlAny), rejected: list(trlAny), margin, tools }, ['chosen', 'rejected'])
        : closed({ chosen: str, rejected: str, margin }, ['chosen', 'rejected']);
    case 'trl-unpaired':
      return conv
        ? closed({ prompt: list(trlAny), completion: list(trlAssistant, 1), label: { type: 'boolean' }, tools }, ['prompt', 'completion', 'label'])
        : closed({ prompt: str, completion: str, label: { type: 'boolean' } }, ['prompt', 'completion', 'label']);
    case 'trl-prompt-completion':
      return conv
        ? closed({ prompt: list(trlAny), completion: list(trlAssistant, 1), tools }, ['prompt', 'completion'])
        : closed({ prompt: str, completion: str }, ['prompt', 'completion']);
    case 'openai-sft':
      return closed(
        { messages: { ...list(oaAny), minItems: 2, contains: { type: 'object', properties: { role: { const: 'assistant' } }, required: ['role'] } }, ...oaInputProps },
        ['messages'],
      );
    case 'openai-dpo':
      return closed(
        { input: closed({ messages: list(oaAny), ...oaInputProps }, ['messages']), preferred_output: list(oaOutput, 1), non_preferred_output: list(oaOutput, 1) },
        ['input', 'preferred_output', 'non_preferred_output'],
      );
  }
}

const cache = new Map<string, SchemaValidator>();

/** Checks one row: null when valid, else the issues as one sentence. */
export function validateRow(format: ExportFormat, style: TrlStyle, row: unknown): string | null {
  const key = `${format}/${style}`;
  let v = cache.get(key);
  if (!v) {
    v = compileSchema(formatSchema(format, style));
    cache.set(key, v);
  }
  const issues = v(row);
  return issues.length === 0 ? null : `does not match the ${key} schema: ${formatIssues(issues)}`;
}
