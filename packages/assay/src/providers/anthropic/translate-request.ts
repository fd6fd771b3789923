/**
 * OpenAI Chat Completions request → Anthropic Messages request.
 *
 * What maps where:
 * - system / developer messages (wherever they appear) → top-level `system`: a string when there is
 *   one plain-string system message, else text blocks in order. Anthropic has no positional system
 *   turns, so a mid-conversation system message is hoisted to the top.
 * - user / assistant content (string or parts) → content blocks; consecutive same-role turns are
 *   merged (Anthropic wants user/assistant alternation); a turn that is one text block is sent as a string.
 * - assistant `tool_calls` → `tool_use` blocks (arguments parsed to `input`); `tool` messages →
 *   `tool_result` blocks in a user turn (so consecutive tool results, and a user message after them,
 *   share one user turn, tool results first).
 * - `tools`, `tool_choice`, `parallel_tool_calls`, `stop`, `temperature`, `top_p`,
 *   `max_completion_tokens`/`max_tokens` (else the provider's default), `user` → `metadata.user_id`, `stream`.
 * - `response_format` json_schema / json_object → a forced tool call (see `JsonMode`); the response
 *   translation turns that tool's input back into message content.
 *
 * Rejected with 400 (Anthropic cannot honour them, and silently ignoring them would change what the
 * caller gets): n > 1, logprobs, top_logprobs, logit_bias, presence_penalty, frequency_penalty, seed,
 * temperature > 1, audio output, web_search_options, the legacy `functions`/`function_call`, non-function
 * tools, and content parts Anthropic has no block for (audio, file ids).
 *
 * Dropped, and reported back in `dropped` so the provider can note them on the trace:
 * - OpenAI fields with no Anthropic meaning that do not change the answer: metadata, store,
 *   service_tier, prediction, reasoning_effort, verbosity, safety_identifier, prompt_cache_key …
 * - Every field this module does not know. They are NOT forwarded: the two dialects use different names
 *   and shapes for similar things, so passing unknown keys through would either be rejected by Anthropic
 *   or, worse, silently mean something else. (Ignored without a report: `stream_options` — Anthropic
 *   always reports usage and the stream always ends with a usage chunk — and message `name`s, tool
 *   `strict`, image `detail` and assistant `reasoning_content`, which have no Anthropic counterpart.)
 */
import { AssayError, badRequest } from '../../errors.js';
import type { ChatMessage, ChatRequest, ContentPart, FunctionTool, ToolChoice } from '../../gateway/types.js';
import type {
  AnthropicImageBlock,
  AnthropicInputBlock,
  AnthropicMessageParam,
  AnthropicRequest,
  AnthropicTextBlock,
  AnthropicTool,
  AnthropicToolChoice,
  AnthropicToolResultBlock,
} from './wire.js';

/**
 * How `response_format` was emulated: the model is made to call a tool named `toolName` whose input
 * is the answer. When the requested schema's root is not an object (tool inputs must be objects) it is
 * wrapped as `{value: <schema>}` and `wrapped` is set, so the answer is `input.value`.
 */
export interface JsonMode {
  toolName: string;
  wrapped: boolean;
}

export interface TranslatedRequest {
  body: AnthropicRequest;
  jsonMode: JsonMode | null;
  /** Request fields that were not forwarded (see the module comment). */
  dropped: string[];
}

export interface TranslateOptions {
  /** Used when the request sets neither max_completion_tokens nor max_tokens (Anthropic requires one). */
  defaultMaxTokens: number;
}

/** Fields read by this module. */
const HANDLED = new Set([
  'model', 'messages', 'stream', 'stream_options', 'tools', 'tool_choice', 'parallel_tool_calls',
  'response_format', 'temperature', 'top_p', 'n', 'stop', 'seed', 'max_tokens', 'max_completion_tokens',
  'presence_penalty', 'frequency_penalty', 'logprobs', 'top_logprobs', 'logit_bias', 'user',
  'functions', 'function_call', 'modalities', 'audio', 'web_search_options', 'assay',
]);

const ANTHROPIC_IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** The tool name used for `response_format: {type: 'json_object'}`. */
export const JSON_OBJECT_TOOL = 'json_response';

const present = (v: unknown): boolean => v !== undefined && v !== null;

function unsupported(param: string, message: string): AssayError {
  return badRequest(`${message} (the anthropic provider cannot honour '${param}'; remove it from the request)`, param, 'unsupported_parameter');
}

/** Throw for parameters Anthropic has no equivalent for, unless they are set to their no-op default. */
function rejectUnsupported(req: ChatRequest): void {
  if (present(req.n) && req.n !== 1) throw unsupported('n', `Anthropic returns one choice per request, so n=${req.n} is not possible; remove 'n' or set it to 1`);
  if (req.logprobs === true) throw unsupported('logprobs', 'Anthropic does not return log probabilities');
  if (present(req.top_logprobs) && req.top_logprobs !== 0) throw unsupported('top_logprobs', 'Anthropic does not return log probabilities');
  if (present(req.logit_bias) && Object.keys(req.logit_bias as object).length > 0) throw unsupported('logit_bias', 'Anthropic has no logit bias');
  if (present(req.presence_penalty) && req.presence_penalty !== 0) throw unsupported('presence_penalty', 'Anthropic has no presence penalty');
  if (present(req.frequency_penalty) && req.frequency_penalty !== 0) throw unsupported('frequency_penalty', 'Anthropic has no frequency penalty');
  if (present(req.seed)) throw unsupported('seed', 'Anthropic has no sampling seed, so the output cannot be made reproducible');
  if (present(req.functions)) throw unsupported('functions', "the legacy 'functions' field is not translated; send 'tools' instead");
  if (present(req.function_call)) throw unsupported('function_call', "the legacy 'function_call' field is not translated; send 'tool_choice' instead");
  if (present(req.audio)) throw unsupported('audio', 'Anthropic models do not produce audio');
  if (Array.isArray(req.modalities) && req.modalities.some((m) => m !== 'text')) {
    throw unsupported('modalities', 'Anthropic models only produce text');
  }
  if (present(req.web_search_options)) throw unsupported('web_search_options', 'OpenAI web search is not available through Anthropic');
  if (typeof req.temperature === 'number' && req.temperature > 1) {
    throw badRequest(`temperature ${req.temperature} is out of range for Anthropic, which accepts 0 to 1; lower it`, 'temperature', 'unsupported_value');
  }
}

export function toAnthropicRequest(req: ChatRequest, opts: TranslateOptions): TranslatedRequest {
  rejectUnsupported(req);
  const dropped = Object.keys(req).filter((k) => !HANDLED.has(k) && req[k] !== undefined);

  const { system, messages } = translateMessages(req.messages);
  const body: AnthropicRequest = {
    model: req.model,
    messages,
    max_tokens: req.max_completion_tokens ?? req.max_tokens ?? opts.defaultMaxTokens,
  };
  if (system !== undefined) body.system = system;
  if (present(req.temperature)) body.temperature = req.temperature as number;
  if (present(req.top_p)) body.top_p = req.top_p as number;
  if (present(req.stop)) {
    const stops = typeof req.stop === 'string' ? [req.stop] : (req.stop as string[]);
    if (stops.length > 0) body.stop_sequences = stops;
  }
  if (typeof req.user === 'string' && req.user !== '') body.metadata = { user_id: req.user };

  const tools = (req.tools ?? []).map(translateTool);
  const jsonMode = addResponseFormatTool(req, tools);
  if (tools.length > 0) body.tools = tools;
  const toolChoice = translateToolChoice(req, req.tools?.length ?? 0, jsonMode);
  if (toolChoice) body.tool_choice = toolChoice;
  if (req.stream) body.stream = true;
  return { body, jsonMode, dropped };
}

// ---------------------------------------------------------------- messages

interface Turn {
  role: 'user' | 'assistant';
  blocks: AnthropicInputBlock[];
}

function translateMessages(input: ChatMessage[]): { system: string | AnthropicTextBlock[] | undefined; messages: AnthropicMessageParam[] } {
  if (!Array.isArray(input)) throw badRequest("'messages' must be an array", 'messages');
  const system: { text: string; plain: boolean }[] = [];
  const turns: Turn[] = [];
  const push = (role: Turn['role'], blocks: AnthropicInputBlock[]) => {
    if (blocks.length === 0) return;
    const last = turns[turns.length - 1];
    if (last && last.role === role) last.blocks.push(...blocks);
    else turns.push({ role, blocks });
  };

  input.forEach((m, i) => {
    const where = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer':
        if (typeof m.content === 'string') {
          if (m.content !== '') system.push({ text: m.content, plain: true });
        } else if (Array.isArray(m.content)) {
          m.content.forEach((p, j) => {
            if (p.type !== 'text') throw badRequest(`${where}.content[${j}]: a ${m.role} message can only hold text parts, not '${p.type}'`, `${where}.content`);
            const text = (p as { text?: unknown }).text;
            if (typeof text === 'string' && text !== '') system.push({ text, plain: false });
          });
        }
        return;
      case 'user':
        push('user', contentBlocks(m.content, where, true));
        return;
      case 'assistant':
        push('assistant', assistantBlocks(m, where));
        return;
      case 'tool':
        push('user', [toolResultBlock(m, where)]);
        return;
      case 'function':
        throw badRequest(`${where}: 'function' role messages (legacy function calling) are not translated for Anthropic; use tool_calls and 'tool' messages`, `${where}.role`);
      default:
        throw badRequest(`${where}: unknown role '${String(m.role)}'`, `${where}.role`);
    }
  });

  const messages: AnthropicMessageParam[] = turns.map((t) => ({
    role: t.role,
    content: t.blocks.length === 1 && t.blocks[0].type === 'text' ? (t.blocks[0] as AnthropicTextBlock).text : t.blocks,
  }));
  let sys: string | AnthropicTextBlock[] | undefined;
  if (system.length === 1 && system[0].plain) sys = system[0].text;
  else if (system.length > 0) sys = system.map((s) => ({ type: 'text', text: s.text }));
  return { system: sys, messages };
}

/** User (and tool-result) content: text, images and PDF files. Empty text is skipped (Anthropic rejects empty text blocks). */
function contentBlocks(content: ChatMessage['content'], where: string, allowFiles: boolean): AnthropicInputBlock[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw badRequest(`${where}.content must be a string or an array of content parts`, `${where}.content`);
  const blocks: AnthropicInputBlock[] = [];
  content.forEach((part, j) => {
    const at = `${where}.content[${j}]`;
    const block = partBlock(part, at, allowFiles);
    if (block) blocks.push(block);
  });
  return blocks;
}

function partBlock(part: ContentPart, at: string, allowFiles: boolean): AnthropicInputBlock | null {
  switch (part.type) {
    case 'text': {
      const text = (part as { text?: unknown }).text;
      if (typeof text !== 'string') throw badRequest(`${at}: a text part needs a string 'text'`, at);
      return text === '' ? null : { type: 'text', text };
    }
    case 'image_url': {
      const url = (part as { image_url?: { url?: unknown } }).image_url?.url;
      if (typeof url !== 'string') throw badRequest(`${at}: an image_url part needs image_url.url`, at);
      return imageBlock(url, at);
    }
    case 'file': {
      if (!allowFiles) break;
      const file = (part as { file?: { file_data?: unknown; file_id?: unknown; filename?: unknown } }).file ?? {};
      if (typeof file.file_data !== 'string') {
        throw badRequest(`${at}: Anthropic cannot read OpenAI file ids; send the file inline as file.file_data (a data:application/pdf;base64 URL)`, at);
      }
      const data = parseDataUrl(file.file_data);
      if (!data || data.mediaType !== 'application/pdf') {
        throw badRequest(`${at}: only PDF files (file_data as a data:application/pdf;base64 URL) can be sent to Anthropic`, at);
      }
      return {
        type: 'document',
        source: { type: 'base64', media_type: 'application/pdf', data: data.data },
        ...(typeof file.filename === 'string' ? { title: file.filename } : {}),
      };
    }
    default:
      break;
  }
  throw badRequest(`${at}: content part type '${part.type}' has no Anthropic equivalent; remove it`, at);
}

function parseDataUrl(url: string): { mediaType: string; data: string } | null {
  if (!url.startsWith('data:')) return null;
  const comma = url.indexOf(',');
  if (comma < 0) return null;
  const meta = url.slice(5, comma).split(';');
  if (!meta.slice(1).includes('base64')) return null;
  return { mediaType: meta[0].toLowerCase(), data: url.slice(comma + 1) };
}

function imageBlock(url: string, at: string): AnthropicImageBlock {
  if (url.startsWith('data:')) {
    const data = parseDataUrl(url);
    if (!data) throw badRequest(`${at}: image data URLs must be base64 (data:image/png;base64,...)`, at);
    if (!ANTHROPIC_IMAGE_TYPES.has(data.mediaType)) {
      throw badRequest(`${at}: image type '${data.mediaType}' is not accepted by Anthropic (use jpeg, png, gif or webp)`, at);
    }
    return { type: 'image', source: { type: 'base64', media_type: data.mediaType, data: data.data } };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw badRequest(`${at}: image_url.url must be an http(s) URL or a base64 data URL`, at);
}

/** Anthropic tool ids must match ^[a-zA-Z0-9_-]+$; OpenAI ids usually do, ids from other sources may not. */
export function toolId(id: string): string {
  const clean = id.replace(/[^a-zA-Z0-9_-]/g, '_');
  return clean === '' ? '_' : clean;
}

function assistantBlocks(m: ChatMessage, where: string): AnthropicInputBlock[] {
  const blocks: AnthropicInputBlock[] = [];
  if (typeof m.content === 'string') {
    if (m.content !== '') blocks.push({ type: 'text', text: m.content });
  } else if (Array.isArray(m.content)) {
    m.content.forEach((p, j) => {
      // OpenAI allows text and refusal parts in assistant messages; a past refusal is replayed as text.
      const text = p.type === 'text' ? (p as { text?: unknown }).text : p.type === 'refusal' ? (p as { refusal?: unknown }).refusal : undefined;
      if (typeof text !== 'string') throw badRequest(`${where}.content[${j}]: assistant content parts must be text or refusal, not '${p.type}'`, `${where}.content`);
      if (text !== '') blocks.push({ type: 'text', text });
    });
  }
  for (const [k, call] of (m.tool_calls ?? []).entries()) {
    const at = `${where}.tool_calls[${k}]`;
    if (call.type !== 'function' || !call.function) throw badRequest(`${at}: only function tool calls can be sent to Anthropic`, at);
    let input: unknown = {};
    const args = call.function.arguments;
    if (typeof args === 'string' && args.trim() !== '') {
      try {
        input = JSON.parse(args);
      } catch {
        throw badRequest(`${at}.function.arguments (tool call '${call.function.name}') is not valid JSON; Anthropic needs the arguments as a JSON object`, `${at}.function.arguments`);
      }
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw badRequest(`${at}.function.arguments (tool call '${call.function.name}') must encode a JSON object for Anthropic`, `${at}.function.arguments`);
    }
    blocks.push({ type: 'tool_use', id: toolId(call.id), name: call.function.name, input });
  }
  return blocks;
}

function toolResultBlock(m: ChatMessage, where: string): AnthropicToolResultBlock {
  if (typeof m.tool_call_id !== 'string' || m.tool_call_id === '') {
    throw badRequest(`${where}: a tool message needs tool_call_id`, `${where}.tool_call_id`);
  }
  const block: AnthropicToolResultBlock = { type: 'tool_result', tool_use_id: toolId(m.tool_call_id) };
  if (typeof m.content === 'string') {
    if (m.content !== '') block.content = m.content;
  } else {
    const parts = contentBlocks(m.content, where, false) as (AnthropicTextBlock | AnthropicImageBlock)[];
    if (parts.length > 0) block.content = parts;
  }
  return block;
}

// ---------------------------------------------------------------- tools

function translateTool(t: FunctionTool, i: number): AnthropicTool {
  if (t.type !== 'function' || !t.function || typeof t.function.name !== 'string') {
    throw badRequest(`tools[${i}]: only function tools can be sent to Anthropic (got type '${String(t.type)}')`, `tools[${i}]`);
  }
  const tool: AnthropicTool = {
    name: t.function.name,
    input_schema: t.function.parameters ?? { type: 'object', properties: {} },
  };
  if (t.function.description !== undefined) tool.description = t.function.description;
  return tool;
}

/** For response_format json_schema/json_object, add the answer tool to `tools` and say how to read it back. */
function addResponseFormatTool(req: ChatRequest, tools: AnthropicTool[]): JsonMode | null {
  const rf = req.response_format;
  if (!rf || rf.type === 'text') return null;
  let tool: AnthropicTool;
  let wrapped = false;
  if (rf.type === 'json_schema') {
    const js = rf.json_schema;
    if (!js || typeof js.name !== 'string') throw badRequest("response_format.json_schema needs a 'name'", 'response_format');
    const schema = js.schema ?? { type: 'object' };
    wrapped = schema.type !== 'object';
    tool = {
      name: js.name,
      description: `Respond by calling this tool: its input is your final answer, as JSON matching the schema.${js.description ? ` ${js.description}` : ''}`,
      input_schema: wrapped ? { type: 'object', properties: { value: schema }, required: ['value'] } : schema,
    };
  } else if (rf.type === 'json_object') {
    tool = {
      name: JSON_OBJECT_TOOL,
      description: 'Respond by calling this tool: its input is your final answer, as a JSON object.',
      input_schema: { type: 'object', additionalProperties: true },
    };
  } else {
    throw badRequest(`response_format type '${(rf as { type: string }).type}' is not supported by the anthropic provider`, 'response_format');
  }
  if (tools.some((t) => t.name === tool.name)) {
    throw badRequest(`response_format needs a tool named '${tool.name}' on Anthropic, and the request already has a tool with that name; rename one of them`, 'response_format');
  }
  tools.push(tool);
  return { toolName: tool.name, wrapped };
}

function translateToolChoice(req: ChatRequest, userTools: number, jsonMode: JsonMode | null): AnthropicToolChoice | undefined {
  const choice: ToolChoice | undefined = req.tool_choice ?? undefined;
  const noParallel = req.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};

  if (jsonMode) {
    // The answer must come through the answer tool; with other callable tools the model may call
    // those instead ('any'), which is what OpenAI allows with tools + response_format.
    if (typeof choice === 'object' && choice !== null) return translateToolChoice({ ...req, response_format: undefined }, userTools, null);
    if (userTools > 0 && choice !== 'none') return { type: 'any', ...noParallel };
    return { type: 'tool', name: jsonMode.toolName, ...noParallel };
  }

  if (choice === undefined) return userTools > 0 && req.parallel_tool_calls === false ? { type: 'auto', ...noParallel } : undefined;
  if (userTools === 0) {
    if (choice === 'none' || choice === 'auto') return undefined;
    throw badRequest("tool_choice requires 'tools'", 'tool_choice');
  }
  if (choice === 'none') return { type: 'none' };
  if (choice === 'auto') return { type: 'auto', ...noParallel };
  if (choice === 'required') return { type: 'any', ...noParallel };
  if (typeof choice === 'object' && choice.type === 'function' && typeof choice.function?.name === 'string') {
    return { type: 'tool', name: choice.function.name, ...noParallel };
  }
  throw badRequest(`tool_choice ${JSON.stringify(choice)} cannot be translated for Anthropic (use none, auto, required or {type:'function', function:{name}})`, 'tool_choice');
}
