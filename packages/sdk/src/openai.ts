/**
 * Instruments an OpenAI client in place: `chat.completions.create` and `embeddings.create` become
 * generations. Typed structurally (no dependency on the `openai` package); written against
 * openai 6.x and the same shape in 4.x/5.x.
 *
 * The call's `APIPromise` is kept (through its `_thenUnwrap`), so `.withResponse()`, `request_id`
 * and the SDK's helpers (`parse`, `stream`, `runTools`) keep working and are traced too. Streams are
 * observed as the app reads them: the generation ends when the stream ends, is broken off or fails.
 */
import type { Attributes } from '@opentelemetry/api';
import { ATTR } from './attributes.js';
import type { Observation } from './observation.js';
import {
  ChatStreamAccumulator, chatCompletionAnswer, chatInput, modelParameters, recordChatAnswer, recordEmbeddings,
} from './openai-format.js';

export interface WrapOpenAIOptions {
  /** `gen_ai.provider.name`. Default: guessed from the client's baseURL, else "openai". */
  provider?: string;
}

export type StartGeneration = (name: string, type: 'generation' | 'embedding', attributes: Attributes) => Observation;

type Json = Record<string, unknown>;
type Method = (this: unknown, ...args: unknown[]) => unknown;
type Kind = 'chat' | 'embeddings';

const WRAPPED = Symbol.for('@assay/sdk.wrapped');

const PROVIDERS: [RegExp, string][] = [
  [/(^|\.)openai\.azure\.com$/, 'azure.ai.openai'],
  [/(^|\.)api\.anthropic\.com$/, 'anthropic'],
  [/(^|\.)generativelanguage\.googleapis\.com$/, 'gcp.gemini'],
  [/(^|\.)api\.x\.ai$/, 'x_ai'],
  [/(^|\.)api\.groq\.com$/, 'groq'],
  [/(^|\.)api\.deepseek\.com$/, 'deepseek'],
  [/(^|\.)api\.mistral\.ai$/, 'mistral_ai'],
  [/(^|\.)openrouter\.ai$/, 'openrouter'],
];

function serverOf(baseURL: unknown): { host?: string; port?: number } {
  if (typeof baseURL !== 'string') return {};
  try {
    const u = new URL(baseURL);
    return { host: u.hostname, port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80 };
  } catch {
    return {};
  }
}

function providerOf(host: string | undefined): string {
  if (!host) return 'openai';
  return PROVIDERS.find(([re]) => re.test(host))?.[1] ?? 'openai';
}

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object';

export function wrapOpenAIClient<C extends object>(client: C, start: StartGeneration, opts: WrapOpenAIOptions = {}): C {
  const c = client as { baseURL?: unknown; chat?: { completions?: Json }; embeddings?: Json };
  const completions = c.chat?.completions;
  const embeddings = c.embeddings;
  const hasChat = isObject(completions) && typeof completions.create === 'function';
  const hasEmbeddings = isObject(embeddings) && typeof embeddings.create === 'function';
  if (!hasChat && !hasEmbeddings) {
    throw new TypeError('wrapOpenAI() expects an OpenAI client (new OpenAI() from the "openai" package): this object has neither chat.completions.create nor embeddings.create');
  }
  const server = serverOf(c.baseURL);
  const base: Attributes = { [ATTR.provider]: opts.provider ?? providerOf(server.host) };
  if (server.host) base['server.address'] = server.host;
  if (server.port) base['server.port'] = server.port;
  if (hasChat) patch(completions, 'chat', start, base);
  if (hasEmbeddings) patch(embeddings, 'embeddings', start, base);
  return client;
}

function patch(resource: Json, kind: Kind, start: StartGeneration, base: Attributes): void {
  if (resource[WRAPPED as unknown as string]) return; // already instrumented: one generation per call
  const original = resource.create as Method;
  resource.create = function create(this: unknown, ...args: unknown[]) {
    return traced(kind, original, this, args, start, base);
  };
  Object.defineProperty(resource, WRAPPED, { value: true });
}

function begin(kind: Kind, params: Json, start: StartGeneration, base: Attributes): Observation {
  const model = typeof params.model === 'string' ? params.model : undefined;
  const attributes: Attributes = { ...base, [ATTR.operation]: kind };
  if (model) attributes[ATTR.requestModel] = model;
  const obs = start(model ? `${kind} ${model}` : kind, kind === 'chat' ? 'generation' : 'embedding', attributes);
  const parameters = modelParameters(params);
  obs.update({ input: kind === 'chat' ? chatInput(params) : params.input, modelParameters: parameters });
  return obs;
}

function traced(kind: Kind, original: Method, thisArg: unknown, args: unknown[], start: StartGeneration, base: Attributes): unknown {
  const params = isObject(args[0]) ? args[0] : {};
  let obs: Observation;
  try {
    obs = begin(kind, params, start, base);
  } catch {
    return original.apply(thisArg, args); // instrumentation never stands in the way of the call
  }
  const failed = (err: unknown) => {
    obs.fail(err);
    obs.end();
  };
  const onData = (data: unknown): unknown => {
    try {
      if (kind === 'embeddings') {
        recordEmbeddings(obs, data);
        obs.end();
      } else if (params.stream === true && isObject(data)) {
        observeStream(data, obs);
      } else {
        recordChatAnswer(obs, chatCompletionAnswer(data));
        obs.end();
      }
    } catch {
      obs.end();
    }
    return data;
  };

  let result: unknown;
  try {
    result = original.apply(thisArg, args);
  } catch (err) {
    failed(err);
    throw err;
  }
  const p = result as { _thenUnwrap?: unknown; asResponse?: unknown; then?: unknown } | null;
  if (p && typeof p._thenUnwrap === 'function') {
    // openai's APIPromise: transform the parsed data without losing withResponse()/asResponse().
    const observed = (p._thenUnwrap as (f: (d: unknown) => unknown) => typeof p).call(p, onData);
    // Request failures (network, HTTP errors) surface on the response promise, without reading the body.
    if (observed && typeof observed.asResponse === 'function') {
      (observed.asResponse as () => Promise<unknown>).call(observed).then(undefined, failed);
    }
    return observed;
  }
  if (p && typeof p.then === 'function') {
    return Promise.resolve(p).then(onData, (err: unknown) => {
      failed(err);
      throw err;
    });
  }
  return onData(result);
}

/**
 * Observes a stream in place. openai's `Stream` reads through its `iterator()` (for await, tee(),
 * toReadableStream() all do), so that is what is wrapped; other async iterables get their
 * `Symbol.asyncIterator` wrapped. Nothing is read that the app does not read itself.
 */
function observeStream(stream: Json, obs: Observation): void {
  const key: string | symbol = typeof stream.iterator === 'function' ? 'iterator' : Symbol.asyncIterator;
  const original = (stream as Record<string | symbol, unknown>)[key];
  if (typeof original !== 'function') {
    obs.end();
    return;
  }
  const acc = new ChatStreamAccumulator();
  let first = true;
  const finish = (extra?: Json) => {
    if (obs.isEnded) return;
    try {
      recordChatAnswer(obs, acc.answer());
      if (extra) obs.update({ metadata: extra });
    } finally {
      obs.end();
    }
  };
  async function* observed(this: unknown): AsyncGenerator<unknown, void, undefined> {
    const inner = (original as () => AsyncIterator<unknown>).call(this);
    let completed = false;
    let errored = false;
    let failedWith: unknown;
    try {
      for (;;) {
        let r: IteratorResult<unknown>;
        try {
          r = await inner.next();
        } catch (err) {
          errored = true;
          failedWith = err;
          throw err;
        }
        if (r.done) break;
        if (first) {
          first = false;
          obs.markFirstChunk();
        }
        try {
          acc.add(r.value);
        } catch {
          /* a chunk we cannot read is still passed on */
        }
        yield r.value;
      }
      completed = true;
    } finally {
      if (errored) {
        try {
          recordChatAnswer(obs, acc.answer());
        } catch {
          /* keep the error */
        }
        obs.fail(failedWith);
        obs.end();
      } else if (completed) {
        finish();
      } else {
        // The app stopped reading (break, return): record what it received and close the source.
        finish({ stream_cancelled: true });
        await inner.return?.();
      }
    }
  }
  (stream as Record<string | symbol, unknown>)[key] = observed;
}
