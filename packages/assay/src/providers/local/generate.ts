/**
 * One chat generation on one context sequence with node-llama-cpp's LlamaChat: the model's chat
 * template, grammar-constrained JSON output, function calling returned as tool calls (never
 * executed), and forced calls for tool_choice 'required' / a named function.
 */
import {
  LlamaChat,
  type ChatHistoryItem,
  type ChatWrapper,
  type ChatWrapperGenerateContextStateOptions,
  type ChatWrapperGeneratedContextState,
  type LLamaChatGenerateResponseOptions,
  type LlamaContextSequence,
  type LlamaGrammar,
} from 'node-llama-cpp';
import { AssayError, badRequest } from '../../errors.js';
import type { ChatResources, LocalModel } from './engine.js';
import { toolCallId, type ChatPlan, type Outcome } from './translate.js';

export interface Prepared {
  plan: ChatPlan;
  grammar: LlamaGrammar | undefined;
  chatWrapper: ChatWrapper;
  promptTokens: number;
  maxTokens: number;
}

/** Compile the grammar, count the prompt and fix the completion budget (400 when the prompt does not fit). */
export async function prepare(model: LocalModel, res: ChatResources, plan: ChatPlan): Promise<Prepared> {
  let grammar: LlamaGrammar | undefined;
  const rf = plan.responseFormat;
  if (rf?.kind === 'json') {
    grammar = await model.grammar('json', () => res.llama.getGrammarFor('json'));
  } else if (rf?.kind === 'schema') {
    try {
      grammar = await model.grammar(`schema:${JSON.stringify(rf.schema)}`, () => res.llama.createGrammarForJsonSchema(rf.schema as never));
    } catch (err) {
      throw badRequest(`json_schema.schema cannot be turned into a grammar: ${(err as Error).message}`, 'response_format.json_schema.schema');
    }
  }

  // The prompt as LlamaChat renders it: history, an open model turn, the functions' documentation.
  const last = plan.history.at(-1);
  const chatHistory: ChatHistoryItem[] = last?.type === 'model' ? plan.history : [...plan.history, { type: 'model', response: [] }];
  const state = res.chatWrapper.generateContextState({ chatHistory, availableFunctions: plan.functions, documentFunctionParams: true });
  const promptTokens = state.contextText.tokenize(res.model.tokenizer).length;
  const room = res.contextSize - promptTokens - 1;
  if (room < 1) {
    throw new AssayError({
      status: 400,
      code: 'context_length_exceeded',
      param: 'messages',
      message: `this model's context is ${res.contextSize} tokens, but the messages take ${promptTokens}; shorten them or raise context_size`,
    });
  }
  const requested = plan.maxTokens ?? model.settings.max_tokens;
  return {
    plan,
    grammar,
    chatWrapper: plan.forceFunctionCall ? forcing(res.chatWrapper) : res.chatWrapper,
    promptTokens,
    maxTokens: Math.min(requested, room),
  };
}

const forced = new WeakMap<ChatWrapper, ChatWrapper>();

/**
 * The same chat wrapper, but the model turn starts inside a function call: LlamaChat's
 * "initially engaged" function mode, where a grammar makes the model pick one of the functions
 * and write its parameters. That is how tool_choice 'required' and named tools are honoured.
 */
function forcing(base: ChatWrapper): ChatWrapper {
  let w = forced.get(base);
  if (!w) {
    w = Object.create(base) as ChatWrapper;
    Object.defineProperty(w, 'generateContextState', {
      value(this: ChatWrapper, opts: ChatWrapperGenerateContextStateOptions): ChatWrapperGeneratedContextState {
        const s = base.generateContextState.call(this, opts);
        return {
          contextText: s.contextText,
          stopGenerationTriggers: s.stopGenerationTriggers,
          ignoreStartText: s.ignoreStartText ?? [],
          functionCall: { initiallyEngaged: true, disengageInitiallyEngaged: [] },
        };
      },
    });
    forced.set(base, w);
  }
  return w;
}

export interface GenerationSink {
  text(delta: string): void;
  toolStart(index: number, id: string, name: string): void;
  toolArgs(index: number, delta: string): void;
}

/** Run the generation; resolves with the outcome, rejects with the signal's reason when aborted. */
export async function generate(
  sequence: LlamaContextSequence,
  prep: Prepared,
  sink: GenerationSink,
  signal: AbortSignal,
): Promise<Outcome> {
  const { plan } = prep;
  const chat = new LlamaChat({ contextSequence: sequence, chatWrapper: prep.chatWrapper });
  const meterBefore = sequence.tokenMeter.getState();
  const calls: { id: string; name: string; args: string }[] = [];
  const penalties = plan.presencePenalty !== 0 || plan.frequencyPenalty !== 0;
  const common = {
    signal,
    stopOnAbortSignal: false,
    maxTokens: prep.maxTokens,
    temperature: plan.temperature,
    ...(plan.topP !== undefined ? { topP: plan.topP } : {}),
    ...(plan.topK !== undefined ? { topK: plan.topK } : {}),
    ...(plan.minP !== undefined ? { minP: plan.minP } : {}),
    ...(plan.seed !== undefined ? { seed: plan.seed >>> 0 } : {}),
    ...(plan.stop.length ? { customStopTriggers: plan.stop } : {}),
    // OpenAI has no multiplicative repeat penalty; only presence/frequency penalties when asked.
    repeatPenalty: penalties
      ? { penalty: 1, presencePenalty: plan.presencePenalty, frequencyPenalty: plan.frequencyPenalty, lastTokens: 64 }
      : (false as const),
    onTextChunk: (text: string) => {
      if (text) sink.text(text);
    },
  };
  const options: LLamaChatGenerateResponseOptions = plan.functions
    ? ({
        ...common,
        functions: plan.functions,
        documentFunctionParams: true,
        ...(plan.maxParallelFunctionCalls !== undefined ? { maxParallelFunctionCalls: plan.maxParallelFunctionCalls } : {}),
        onFunctionCallParamsChunk: (c: { callIndex: number; functionName: string; paramsChunk: string }) => {
          let call = calls[c.callIndex];
          if (!call) {
            call = calls[c.callIndex] = { id: toolCallId(), name: c.functionName, args: '' };
            sink.toolStart(c.callIndex, call.id, call.name);
          }
          if (c.paramsChunk) {
            call.args += c.paramsChunk;
            sink.toolArgs(c.callIndex, c.paramsChunk);
          }
        },
      } as LLamaChatGenerateResponseOptions)
    : { ...common, ...(prep.grammar ? { grammar: prep.grammar } : {}) };

  try {
    const res = await chat.generateResponse(plan.history, options);
    const completionTokens = sequence.tokenMeter.diff(meterBefore).usedOutputTokens;
    const functionCalls = (res.functionCalls ?? []) as { functionName: string; params: unknown }[];
    const toolCalls = functionCalls.map((fc, i) => {
      const args = JSON.stringify(fc.params ?? {});
      let call = calls[i];
      if (!call) {
        // A call without streamed parameters (e.g. a function that takes none): announce it whole.
        call = calls[i] = { id: toolCallId(), name: fc.functionName, args: '' };
        sink.toolStart(i, call.id, call.name);
      }
      if (call.args === '') {
        call.args = args;
        sink.toolArgs(i, args);
      }
      return { id: call.id, name: fc.functionName, arguments: args };
    });
    const stop = res.metadata.stopReason;
    if (stop === 'abort') throw abortError(signal);
    const finishReason: Outcome['finishReason'] = toolCalls.length > 0 ? 'tool_calls' : stop === 'maxTokens' ? 'length' : 'stop';
    return {
      text: res.response,
      toolCalls,
      finishReason,
      usage: {
        prompt_tokens: prep.promptTokens,
        completion_tokens: completionTokens,
        total_tokens: prep.promptTokens + completionTokens,
      },
    };
  } catch (err) {
    if (signal.aborted) throw abortError(signal);
    throw err;
  } finally {
    chat.dispose({ disposeSequence: false });
  }
}

function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error('aborted');
}
