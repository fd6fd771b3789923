/**
 * Attribute tables for the conventions OTLP senders use (wire-formats.md §5): OpenTelemetry GenAI
 * (current and legacy names), OpenInference, OpenLLMetry/Traceloop, Langfuse `langfuse.*` and the
 * Vercel AI SDK `ai.*`. Lists are in precedence order: the first key present wins, and the
 * `langfuse.*` key always comes first.
 */
import type { ObservationType } from '../span.js';

/** langfuse.observation.type → Assay type. */
export const LANGFUSE_TYPES: Record<string, ObservationType> = {
  span: 'span',
  generation: 'generation',
  embedding: 'embedding',
  event: 'event',
  agent: 'agent',
  tool: 'tool',
  chain: 'span',
  retriever: 'retrieval',
  retrieval: 'retrieval',
  evaluator: 'evaluator',
  guardrail: 'span',
};

/** gen_ai.operation.name → Assay type. */
export const GENAI_OPERATION_TYPES: Record<string, ObservationType> = {
  chat: 'generation',
  text_completion: 'generation',
  generate_content: 'generation',
  embeddings: 'embedding',
  execute_tool: 'tool',
  invoke_agent: 'agent',
  create_agent: 'agent',
  invoke_workflow: 'agent',
  retrieval: 'retrieval',
};

/** openinference.span.kind → Assay type; other kinds (CHAIN, GUARDRAIL, PROMPT …) are spans. */
export const OPENINFERENCE_TYPES: Record<string, ObservationType> = {
  LLM: 'generation',
  EMBEDDING: 'embedding',
  RETRIEVER: 'retrieval',
  RERANKER: 'retrieval',
  TOOL: 'tool',
  AGENT: 'agent',
  EVALUATOR: 'evaluator',
};

/** traceloop.span.kind → Assay type. */
export const TRACELOOP_TYPES: Record<string, ObservationType> = {
  workflow: 'span',
  task: 'span',
  agent: 'agent',
  tool: 'tool',
};

/** llm.request.type (OpenLLMetry LLM spans) → Assay type. */
export const LLM_REQUEST_TYPES: Record<string, ObservationType> = {
  chat: 'generation',
  completion: 'generation',
  embedding: 'embedding',
};

/**
 * Vercel AI SDK operation ids. Leaf model calls are generations/embeddings; the outer call spans
 * repeat their children's usage, so they are roll-ups whose usage goes to metadata only.
 */
export const VERCEL_LEAF_TYPES: Record<string, ObservationType> = {
  'ai.generateText.doGenerate': 'generation',
  'ai.streamText.doStream': 'generation',
  'ai.generateObject.doGenerate': 'generation',
  'ai.streamObject.doStream': 'generation',
  'ai.embed.doEmbed': 'embedding',
  'ai.embedMany.doEmbed': 'embedding',
  'ai.toolCall': 'tool',
};
export const VERCEL_ROLLUP_TYPES: Record<string, ObservationType> = {
  'ai.generateText': 'agent',
  'ai.streamText': 'agent',
  'ai.generateObject': 'agent',
  'ai.streamObject': 'agent',
  'ai.embed': 'span',
  'ai.embedMany': 'span',
};

/** Types that carry token counts in the token columns; every other type keeps usage in metadata.usage. */
export const LEAF_MODEL_TYPES: ReadonlySet<ObservationType> = new Set(['generation', 'embedding']);

export const MODEL_KEYS = [
  'langfuse.observation.model.name',
  'gen_ai.response.model',
  'gen_ai.request.model',
  'llm.model_name',
  'embedding.model_name',
  'ai.response.model',
  'ai.model.id',
] as const;

export const PROVIDER_KEYS = ['gen_ai.provider.name', 'gen_ai.system', 'llm.provider', 'llm.system', 'ai.model.provider'] as const;

export const INPUT_TOKEN_KEYS = [
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.prompt_tokens',
  'llm.token_count.prompt',
  'llm.usage.prompt_tokens',
  'ai.usage.inputTokens',
  'ai.usage.promptTokens',
  'ai.usage.tokens',
] as const;
export const OUTPUT_TOKEN_KEYS = [
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.completion_tokens',
  'llm.token_count.completion',
  'llm.usage.completion_tokens',
  'ai.usage.outputTokens',
  'ai.usage.completionTokens',
] as const;
export const TOTAL_TOKEN_KEYS = ['gen_ai.usage.total_tokens', 'llm.usage.total_tokens', 'llm.token_count.total', 'ai.usage.totalTokens'] as const;
export const CACHED_TOKEN_KEYS = [
  'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.cache_read_input_tokens',
  'llm.token_count.prompt_details.cache_read',
  'ai.usage.cachedInputTokens',
] as const;
export const CACHE_WRITE_TOKEN_KEYS = [
  'gen_ai.usage.cache_creation.input_tokens',
  'gen_ai.usage.cache_creation_input_tokens',
  'llm.token_count.prompt_details.cache_write',
] as const;
export const REASONING_TOKEN_KEYS = [
  'gen_ai.usage.reasoning.output_tokens',
  'gen_ai.usage.reasoning_tokens',
  'llm.token_count.completion_details.reasoning',
  'ai.usage.reasoningTokens',
] as const;

/** Keys inside langfuse.observation.usage_details, per token column. */
export const LANGFUSE_USAGE_KEYS = {
  input: ['input', 'input_tokens', 'prompt_tokens', 'promptTokens', 'inputTokens'],
  output: ['output', 'output_tokens', 'completion_tokens', 'completionTokens', 'outputTokens'],
  total: ['total', 'total_tokens', 'totalTokens'],
  cached: ['cache_read_input_tokens', 'input_cached_tokens', 'input_cache_read', 'cached_input_tokens', 'cached_tokens'],
  reasoning: ['output_reasoning_tokens', 'reasoning_tokens', 'output_reasoning'],
} as const;

export const USER_KEYS = [
  'langfuse.user.id',
  'user.id',
  'enduser.id',
  'ai.telemetry.metadata.userId',
  'traceloop.association.properties.user_id',
  'traceloop.association.properties.userId',
] as const;
export const SESSION_KEYS = [
  'langfuse.session.id',
  'session.id',
  'gen_ai.conversation.id',
  'ai.telemetry.metadata.sessionId',
  'traceloop.association.properties.session_id',
  'traceloop.association.properties.sessionId',
  'traceloop.association.properties.thread_id',
  'traceloop.association.properties.conversation_id',
] as const;
/** Every source is read and the tags are merged. */
export const TAG_KEYS = ['langfuse.trace.tags', 'ai.telemetry.metadata.tags', 'tag.tags'] as const;
/** Read from the span, then from the resource. */
export const ENVIRONMENT_KEYS = ['langfuse.environment', 'deployment.environment.name', 'deployment.environment'] as const;
export const RELEASE_KEYS = ['langfuse.release', 'service.version'] as const;
export const TRACE_NAME_KEYS = ['langfuse.trace.name'] as const;

export const LEVEL_KEYS = ['langfuse.observation.level'] as const;
export const STATUS_MESSAGE_KEYS = ['langfuse.observation.status_message'] as const;
export const HTTP_STATUS_KEYS = ['http.response.status_code', 'http.status_code'] as const;
export const PROMPT_NAME_KEYS = ['langfuse.observation.prompt.name', 'traceloop.prompt.key'] as const;
export const PROMPT_VERSION_KEYS = ['langfuse.observation.prompt.version', 'traceloop.prompt.version'] as const;

/** Provider-reported cost: a details object (input/output/total) or a total in USD. */
export const COST_DETAILS_KEYS = ['langfuse.observation.cost_details'] as const;
export const COST_TOTAL_KEYS = ['gen_ai.usage.cost', 'llm.cost.total'] as const;
export const COST_PART_KEYS = { input: 'llm.cost.prompt', output: 'llm.cost.completion' } as const;

/** First-token time: an absolute time, milliseconds, or seconds after the span start. */
export const COMPLETION_START_KEYS = ['langfuse.observation.completion_start_time'] as const;
export const TTFT_MS_KEYS = ['ai.response.msToFirstChunk'] as const;
export const TTFT_SECONDS_KEYS = ['gen_ai.response.time_to_first_chunk'] as const;

/**
 * Input and output sources in precedence order. `indexed` sources are flattened lists
 * (`gen_ai.prompt.0.role` …) rebuilt into arrays; `unwrap` takes that key out of each element.
 */
export type IoSource = { key: string } | { indexed: string; unwrap?: string };

export const INPUT_SOURCES: readonly IoSource[] = [
  { key: 'langfuse.observation.input' },
  { key: 'gen_ai.input.messages' },
  { indexed: 'gen_ai.prompt' },
  { key: 'gen_ai.prompt' },
  { indexed: 'llm.input_messages', unwrap: 'message' },
  { key: 'input.value' },
  { key: 'traceloop.entity.input' },
  { key: 'ai.prompt.messages' },
  { key: 'ai.prompt' },
  { key: 'ai.toolCall.args' },
  { key: 'ai.toolCall.input' },
  { key: 'gen_ai.tool.call.arguments' },
  { key: 'ai.value' },
  { key: 'ai.values' },
  { key: 'mlflow.spanInputs' },
  { key: 'langfuse.trace.input' },
];

export const OUTPUT_SOURCES: readonly IoSource[] = [
  { key: 'langfuse.observation.output' },
  { key: 'gen_ai.output.messages' },
  { indexed: 'gen_ai.completion' },
  { key: 'gen_ai.completion' },
  { indexed: 'llm.output_messages', unwrap: 'message' },
  { key: 'output.value' },
  { key: 'traceloop.entity.output' },
  { key: 'ai.response.text' },
  { key: 'ai.response.object' },
  { key: 'ai.response.toolCalls' },
  { key: 'ai.toolCall.result' },
  { key: 'ai.toolCall.output' },
  { key: 'gen_ai.tool.call.result' },
  { key: 'ai.embedding' },
  { key: 'ai.embeddings' },
  { indexed: 'retrieval.documents', unwrap: 'document' },
  { key: 'mlflow.spanOutputs' },
  { key: 'langfuse.trace.output' },
];

/** Prefixes whose keys become top-level metadata (minus the keys mapped to columns above). */
export const METADATA_PREFIXES = [
  'langfuse.trace.metadata.',
  'langfuse.observation.metadata.',
  'ai.telemetry.metadata.',
  'traceloop.association.properties.',
] as const;
/** Whole-object metadata attributes (a JSON object string or a kvlist). */
export const METADATA_OBJECT_KEYS = ['langfuse.trace.metadata', 'langfuse.observation.metadata'] as const;

/** The GenAI evaluation event and its attributes. */
export const EVALUATION_EVENT = 'gen_ai.evaluation.result';
export const EVALUATION = {
  name: 'gen_ai.evaluation.name',
  value: 'gen_ai.evaluation.score.value',
  label: 'gen_ai.evaluation.score.label',
  explanation: 'gen_ai.evaluation.explanation',
} as const;

/** Legacy (≤ semconv 1.36) content events, and the role each message event stands for. */
export const LEGACY_MESSAGE_EVENTS: Record<string, string> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
};
export const LEGACY_CHOICE_EVENT = 'gen_ai.choice';
/** Events that carry content in attributes: gen_ai.prompt / gen_ai.completion, or the messages attributes. */
export const CONTENT_EVENTS = ['gen_ai.content.prompt', 'gen_ai.content.completion', 'gen_ai.client.inference.operation.details'] as const;

export const SPAN_KIND_NAMES = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
