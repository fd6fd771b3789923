/**
 * The Assay client: its own OpenTelemetry tracer provider (never registered globally, so an app's
 * own OTel setup is untouched) exporting OTLP/JSON to `${host}/v1/traces`, and helpers that run
 * code inside observations which nest through async context.
 */
import { ROOT_CONTEXT, SpanKind, createContextKey, trace, type Attributes, type Context, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR, OBSERVATION_TYPES, serialize, type Level, type ObservationType } from './attributes.js';
import { ReportingExporter } from './exporter.js';
import { Observation, traceAttributes, type ObservationUpdate, type TraceAttributes } from './observation.js';
import { wrapOpenAIClient, type WrapOpenAIOptions } from './openai.js';
import { postScore, type ScoreInput } from './score.js';
import { SDK_VERSION } from './version.js';

export interface AssayOptions {
  /** Assay server URL. Default: `ASSAY_URL`, else http://127.0.0.1:4141. */
  host?: string;
  /** An Assay API key with the ingest scope. Default: `ASSAY_API_KEY`. */
  apiKey?: string;
  /** Deployment environment (production, staging …). Default: `ASSAY_ENVIRONMENT`. */
  environment?: string;
  /** Your app's release or version. Default: `ASSAY_RELEASE`. */
  release?: string;
  /** The OTel `service.name` of the spans. Default: `OTEL_SERVICE_NAME`, else "app". */
  serviceName?: string;
  /** Flush queued spans when the event loop empties (`beforeExit`). Default true. */
  flushOnExit?: boolean;
  /** Called when sending spans fails (in the background). Default: a console warning, not repeated while the error stays the same. */
  onError?: (err: Error) => void;
}

export interface ObserveOptions {
  /** Observation type. Default "span". */
  type?: ObservationType;
  /** The observation's input. `wrap()` records the call's arguments unless `captureInput` is false. */
  input?: unknown;
  /** Record the return value as the output. Default true. */
  captureOutput?: boolean;
  metadata?: Record<string, unknown>;
  level?: Level;
  /** Trace-level fields for this observation and everything inside it. */
  trace?: TraceAttributes;
}

export interface GenerationOptions extends Omit<ObserveOptions, 'type'> {
  /** "generation" (default) or "embedding". */
  type?: 'generation' | 'embedding';
  /** The requested model. */
  model?: string;
  /** Provider name (openai, anthropic …), the `gen_ai.provider.name` attribute. */
  provider?: string;
  modelParameters?: Record<string, unknown>;
}

export interface WrapOptions extends ObserveOptions {
  /** Record the call's arguments as the input (one argument as itself, several as an array). Default true. */
  captureInput?: boolean;
}

/** Trace-level fields in scope, merged from the outside in. One mutable scope per `trace()` or root. */
interface TraceScope {
  attrs: TraceAttributes;
}

const OBSERVATION_KEY = createContextKey('assay.observation');
const SCOPE_KEY = createContextKey('assay.trace-scope');

function mergeTrace(a: TraceAttributes, b: TraceAttributes): TraceAttributes {
  const tags = [...(a.tags ?? []), ...(b.tags ?? [])];
  return {
    name: b.name ?? a.name,
    userId: b.userId ?? a.userId,
    sessionId: b.sessionId ?? a.sessionId,
    tags: tags.length ? [...new Set(tags)] : undefined,
    metadata: a.metadata || b.metadata ? { ...a.metadata, ...b.metadata } : undefined,
  };
}

const isPromiseLike = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';

export class Assay {
  readonly host: string;
  private readonly apiKey: string;
  private readonly environment?: string;
  private readonly release?: string;
  private readonly contextManager = new AsyncLocalStorageContextManager().enable();
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly reportError: (err: Error) => void;
  private readonly exporter: ReportingExporter;
  private endedSinceFlush = 0;
  private closed = false;
  private readonly beforeExit = () => {
    if (this.endedSinceFlush > 0) void this.flush();
  };

  constructor(opts: AssayOptions = {}) {
    const host = opts.host ?? process.env.ASSAY_URL ?? 'http://127.0.0.1:4141';
    try {
      const u = new URL(host);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new TypeError(`Assay host "${host}" is not an http(s) URL: pass { host: "http://127.0.0.1:4141" } or set ASSAY_URL`);
    }
    this.host = host.replace(/\/+$/, '');
    const apiKey = opts.apiKey ?? process.env.ASSAY_API_KEY;
    if (!apiKey) {
      throw new TypeError('Assay needs an API key with the ingest scope: pass { apiKey } or set ASSAY_API_KEY (create one with `assay keys create --name my-app --scope ingest`)');
    }
    this.apiKey = apiKey;
    this.environment = opts.environment ?? process.env.ASSAY_ENVIRONMENT;
    this.release = opts.release ?? process.env.ASSAY_RELEASE;
    this.reportError = opts.onError ?? warnOnce();

    const resource: Attributes = {
      'service.name': opts.serviceName ?? process.env.OTEL_SERVICE_NAME ?? 'app',
      'telemetry.sdk.name': '@assay/sdk',
      'telemetry.sdk.version': SDK_VERSION,
      'telemetry.sdk.language': 'nodejs',
    };
    if (this.environment) resource['deployment.environment.name'] = this.environment;
    if (this.release) resource['service.version'] = this.release;
    const exporter = (this.exporter = new ReportingExporter(
      new OTLPTraceExporter({ url: `${this.host}/v1/traces`, headers: { authorization: `Bearer ${apiKey}` } }),
      this.host,
      (err) => this.reportError(err),
    ));
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes(resource),
      sampler: new AlwaysOnSampler(),
      spanProcessors: [new BatchSpanProcessor(exporter)],
    });
    this.tracer = this.provider.getTracer('@assay/sdk', SDK_VERSION);
    if (opts.flushOnExit ?? true) process.on('beforeExit', this.beforeExit);
  }

  /**
   * Runs `fn` inside a new observation and returns what it returns. Sync or async: the observation
   * ends when `fn` returns or its promise settles. The return value is the output; a throw or
   * rejection marks the observation as an error and is rethrown.
   */
  observe<T>(name: string, fn: (obs: Observation) => T, opts: ObserveOptions = {}): T {
    const parent = this.contextManager.active();
    const { obs, ctx } = this.begin(name, opts.type ?? 'span', parent, opts);
    return this.run(obs, ctx, () => fn(obs), opts.captureOutput ?? true);
  }

  /** Same as `observe()`. */
  span<T>(name: string, fn: (obs: Observation) => T, opts: ObserveOptions = {}): T {
    return this.observe(name, fn, opts);
  }

  /**
   * Runs `fn` inside a generation: a model call you make yourself. Report what the model said
   * with `gen.update({ output, usage, model })`; without an explicit output the return value is used.
   */
  generation<T>(name: string, fn: (gen: Observation) => T, opts: GenerationOptions = {}): T {
    const type = opts.type ?? 'generation';
    const attributes: Attributes = { [ATTR.operation]: type === 'embedding' ? 'embeddings' : 'chat' };
    if (opts.model) attributes[ATTR.requestModel] = opts.model;
    if (opts.provider) attributes[ATTR.provider] = opts.provider;
    const parent = this.contextManager.active();
    const { obs, ctx } = this.begin(name, type, parent, opts, attributes, SpanKind.CLIENT);
    if (opts.modelParameters) obs.update({ modelParameters: opts.modelParameters });
    return this.run(obs, ctx, () => fn(obs), opts.captureOutput ?? true);
  }

  /** Returns `fn` traced: every call runs inside an observation whose input is the call's arguments. */
  wrap<A extends unknown[], R>(name: string, fn: (...args: A) => R, opts: WrapOptions = {}): (...args: A) => R {
    const { captureInput = true, ...rest } = opts;
    return (...args: A): R =>
      this.observe(name, () => fn(...args), {
        ...rest,
        input: rest.input !== undefined || !captureInput ? rest.input : args.length === 1 ? args[0] : args,
      });
  }

  /**
   * Sets trace-level fields (user, session, tags, metadata, name) for every observation started
   * inside `fn`. Outside any observation it also opens the trace's root observation (named
   * `attrs.name`, default "trace"); inside one it sets the fields on the current observation too.
   */
  trace<T>(attrs: TraceAttributes, fn: (obs: Observation) => T): T {
    const parent = this.contextManager.active();
    const current = parent.getValue(OBSERVATION_KEY) as Observation | undefined;
    if (!current || current.isEnded) return this.observe(attrs.name ?? 'trace', fn, { trace: attrs });
    current.updateTrace(attrs);
    const scope = parent.getValue(SCOPE_KEY) as TraceScope | undefined;
    const ctx = parent.setValue(SCOPE_KEY, { attrs: mergeTrace(scope?.attrs ?? {}, attrs) });
    return this.contextManager.with(ctx, () => fn(current));
  }

  /**
   * Sets trace-level fields from inside a trace, e.g. the output or a user id learnt late: on the
   * current observation, and on every observation started later in the same scope.
   */
  updateTrace(attrs: TraceAttributes): void {
    const ctx = this.contextManager.active();
    const current = ctx.getValue(OBSERVATION_KEY) as Observation | undefined;
    if (!current) return;
    current.updateTrace(attrs);
    const scope = ctx.getValue(SCOPE_KEY) as TraceScope | undefined;
    if (scope) scope.attrs = mergeTrace(scope.attrs, attrs);
  }

  /** The observation running in the current async context, if any. */
  current(): Observation | undefined {
    return this.contextManager.active().getValue(OBSERVATION_KEY) as Observation | undefined;
  }

  /** The current trace id (32 hex characters), if code runs inside an observation. */
  currentTraceId(): string | undefined {
    return trace.getSpan(this.contextManager.active())?.spanContext().traceId;
  }

  /**
   * Instruments an OpenAI client (openai 4.x–6.x) in place and returns it: `chat.completions.create`
   * and `embeddings.create` become generations, streams included.
   */
  wrapOpenAI<C extends object>(client: C, opts: WrapOpenAIOptions = {}): C {
    return wrapOpenAIClient(client, (name, type, attributes) => {
      return this.begin(name, type, this.contextManager.active(), {}, attributes, SpanKind.CLIENT).obs;
    }, opts);
  }

  /**
   * Records a score. Without traceId or sessionId it scores the current trace (or, with an
   * observationId, that observation of the current trace). Resolves with the score's id; rejects
   * with the server's message when it refuses.
   */
  async score(input: ScoreInput): Promise<string> {
    const traceId = input.traceId ?? (input.sessionId === undefined || input.observationId !== undefined ? this.currentTraceId() : undefined);
    return postScore(this.host, this.apiKey, { ...input, traceId }, this.environment);
  }

  /** Sends every ended observation now. Never rejects: failures go to `onError`. */
  async flush(): Promise<void> {
    this.endedSinceFlush = 0;
    await this.provider.forceFlush().catch((err: unknown) => this.failed('flush', err));
  }

  /** Flushes, then stops exporting. Observations started later still run their code, untraced. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    process.off('beforeExit', this.beforeExit);
    await this.provider.shutdown().catch((err: unknown) => this.failed('shutdown', err));
  }

  private failed(what: string, err: unknown): void {
    // The provider rejects with the list of its processors' errors; export failures are already reported.
    const fresh = (Array.isArray(err) ? err : [err]).filter((e) => !(e !== null && typeof e === 'object' && this.exporter.reported.has(e)));
    for (const e of fresh) this.reportError(new Error(`${what} failed: ${e instanceof Error ? e.message : String(e)}`));
  }

  private begin(
    name: string,
    type: ObservationType,
    parent: Context,
    opts: ObserveOptions,
    extra: Attributes = {},
    kind: SpanKind = SpanKind.INTERNAL,
  ): { obs: Observation; ctx: Context } {
    if (!OBSERVATION_TYPES.includes(type)) type = 'span';
    const parentSpan = trace.getSpan(parent);
    // A new trace, or a new trace-level scope, gets its own mutable scope object (see updateTrace).
    let scope = parentSpan ? (parent.getValue(SCOPE_KEY) as TraceScope | undefined) : undefined;
    if (!scope || opts.trace) scope = { attrs: mergeTrace(scope?.attrs ?? {}, opts.trace ?? {}) };
    const attributes: Attributes = { [ATTR.type]: type, ...traceAttributes(scope.attrs), ...extra };
    if (this.environment) attributes[ATTR.environment] = this.environment;
    if (this.release) attributes[ATTR.release] = this.release;
    if (opts.trace?.input !== undefined) attributes[ATTR.traceInput] = serialize(opts.trace.input);
    if (opts.trace?.output !== undefined) attributes[ATTR.traceOutput] = serialize(opts.trace.output);
    const span = this.tracer.startSpan(name, { kind, attributes }, parentSpan ? parent : ROOT_CONTEXT);
    const obs = new Observation(span, type, () => this.endedSinceFlush++);
    const update: ObservationUpdate = {};
    if (opts.input !== undefined) update.input = opts.input;
    if (opts.metadata) update.metadata = opts.metadata;
    if (opts.level) update.level = opts.level;
    obs.update(update);
    const ctx = trace.setSpan(parent, span).setValue(OBSERVATION_KEY, obs).setValue(SCOPE_KEY, scope);
    return { obs, ctx };
  }

  private run<T>(obs: Observation, ctx: Context, fn: () => T, captureOutput: boolean): T {
    const finish = (value: unknown) => {
      if (captureOutput && !obs.outputSet && value !== undefined) obs.update({ output: value });
      obs.end();
    };
    const failed = (err: unknown) => {
      obs.fail(err);
      obs.end();
    };
    let result: T;
    try {
      result = this.contextManager.with(ctx, fn);
    } catch (err) {
      failed(err);
      throw err;
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        (v) => {
          finish(v);
          return v;
        },
        (err: unknown) => {
          failed(err);
          throw err;
        },
      ) as T;
    }
    finish(result);
    return result;
  }
}

/** The default error reporter: one console warning per distinct message in a row. */
function warnOnce(): (err: Error) => void {
  let last = '';
  return (err) => {
    if (err.message === last) return;
    last = err.message;
    console.warn(`[assay] ${err.message}`);
  };
}
