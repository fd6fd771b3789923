/**
 * An item from a trace: the root observation's input (a chat request body → its messages, with an
 * Anthropic-style `system` as the first message; a message array; a string → one user message; any
 * other object → vars) and, when asked, its output as expected (a chat completion → the assistant
 * message's text, or the whole message when it has only tool calls; an Anthropic message → its
 * text; a string as is; anything else as stored). The item id is `trace-<trace id>`, so adding
 * the same trace again updates that item instead of adding a copy.
 */
import { badRequest } from '../errors.js';
import type { Observation } from '../tracing/span.js';
import { checkMessages, isObject, type FieldError } from './item.js';
import type { ItemDraft, ItemInput } from './types.js';

export type ExpectedFrom = 'output' | 'none';

/** Request fields kept in metadata.params (the rest are the messages, routing and transport). */
const NOT_PARAMS = new Set(['messages', 'system', 'model', 'stream', 'stream_options', 'user', 'metadata', 'assay']);

/** The trace's root: its observation without a parent (the first one when there are several). */
export function rootObservation(observations: readonly Observation[]): Observation | null {
  return observations.find((o) => o.parent_id === null) ?? observations[0] ?? null;
}

const noBodies = (traceId: string, what: string) =>
  badRequest(
    `trace ${traceId} has no stored ${what}: its bodies were not recorded (tracing.store_bodies is false, or the ingested span carried none), so it cannot become a dataset item`,
    'trace_ids',
    'trace_without_bodies',
  );

function inputOf(traceId: string, input: unknown): ItemInput {
  if (input === null || input === undefined) throw noBodies(traceId, 'input');
  if (typeof input === 'string') return { messages: [{ role: 'user', content: input }] };
  const errors: FieldError[] = [];
  if (Array.isArray(input)) {
    if (checkMessages(input, 'input', errors)) return { messages: input };
  } else if (isObject(input)) {
    if (Array.isArray(input.messages)) {
      const messages = [...input.messages];
      if (typeof input.system === 'string' && input.system) messages.unshift({ role: 'system', content: input.system });
      else if (Array.isArray(input.system) && input.system.length) messages.unshift({ role: 'system', content: input.system });
      if (checkMessages(messages, 'input.messages', errors)) return { messages };
    } else if ('raw' in input && Object.keys(input).length === 1) {
      throw badRequest(`trace ${traceId} recorded a request body that was not valid JSON, so it has no messages to take`, 'trace_ids', 'trace_input_unusable');
    } else {
      return { vars: input };
    }
  }
  const why = errors.length ? `: ${errors[0].field} ${errors[0].message}` : '';
  throw badRequest(`trace ${traceId}: its input is not a chat request, a message list, a string or an object of variables${why}`, 'trace_ids', 'trace_input_unusable');
}

function expectedOf(traceId: string, output: unknown): unknown {
  if (output === null || output === undefined) throw noBodies(traceId, 'output');
  if (typeof output === 'string') return output;
  if (isObject(output)) {
    const choices = output.choices;
    if (Array.isArray(choices) && isObject(choices[0]) && isObject(choices[0].message)) {
      const message = choices[0].message;
      if (typeof message.content === 'string' && !message.tool_calls) return message.content;
      return message;
    }
    if (output.role === 'assistant' && typeof output.content === 'string' && !output.tool_calls) return output.content;
    if (Array.isArray(output.content) && output.type === 'message') {
      const parts = output.content.filter((b) => isObject(b) && b.type === 'text');
      if (parts.length === output.content.length) return parts.map((b) => (b as { text: string }).text).join('');
    }
  }
  return output;
}

/** The item a trace becomes; 400 (naming the trace) when its bodies were not stored or are unusable. */
export function itemFromTrace(traceId: string, observations: readonly Observation[], expectedFrom: ExpectedFrom): ItemDraft {
  const root = rootObservation(observations);
  if (!root) throw badRequest(`trace ${traceId} has no observations`, 'trace_ids');
  if (root.input === null && root.output === null) throw noBodies(traceId, 'input or output');
  const input = inputOf(traceId, root.input);
  const expected = expectedFrom === 'output' ? expectedOf(traceId, root.output) : null;
  const metadata: Record<string, unknown> = {};
  if (root.model) metadata.model = root.model;
  if (isObject(root.input) && 'messages' in input) {
    const params = Object.fromEntries(Object.entries(root.input).filter(([k, v]) => !NOT_PARAMS.has(k) && v !== undefined && v !== null));
    if (Object.keys(params).length) metadata.params = params;
  }
  return {
    id: `trace-${traceId}`,
    input,
    expected,
    assert: null,
    metadata: Object.keys(metadata).length ? metadata : null,
    source: { trace_id: traceId, observation_id: root.id },
  };
}
