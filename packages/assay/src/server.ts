/**
 * Builds and starts Assay: store (migrated), keys, trace recorder, providers, the model pipeline
 * and the HTTP app. `close()` is the graceful shutdown: stop accepting, let in-flight calls finish
 * (up to a grace period), then flush every queued trace.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { EmailSender } from './alerts/email.js';
import { AlertService } from './alerts/service.js';
import type { AssayConfig } from './config/schema.js';
import { budgetEmbeddings, budgetLayer } from './budgets/layer.js';
import { MemoryCounters, RedisCounters } from './budgets/counters.js';
import { createLimiter, limitsEmbeddings, limitsLayer } from './limits/index.js';
import { notifyBudget } from './budgets/notify.js';
import { BudgetService } from './budgets/service.js';
import { DatasetService } from './datasets/service.js';
import { toTestCase } from './datasets/item.js';
import { checkAssertions, gradeFn, type GradingDeps } from './evals/experiments/grading.js';
import { ExperimentService } from './evals/experiments/service.js';
import { QueueService } from './feedback/queues/service.js';
import { Sampler } from './feedback/queues/sampling.js';
import type { InlineItem } from './evals/experiments/types.js';
import { ModelRegistry } from './gateway/registry.js';
import { createRouter } from './gateway/router/index.js';
import { compose, type Provider, type ProviderEnv } from './gateway/spec.js';
import { createEmbedder } from './gateway/embedder.js';
import { createApp } from './http/app.js';
import type { AppDeps } from './http/deps.js';
import { KeyService } from './keys/service.js';
import { ScoreConfigService } from './feedback/scores/service.js';
import { openKnowledgeIndex } from './knowledge/index/index.js';
import { KnowledgeService } from './knowledge/service.js';
import { WebSessions } from './keys/web-sessions.js';
import { MemoryService } from './memory/index.js';
import { MetricsService } from './metrics/service.js';
import { PromptService, promptLayer, renderTemplate } from './prompts/index.js';
import { providerModule } from './providers/index.js';
import { wantsImplicitLocal } from './providers/local/config.js';
import { openStore, resolveStoreLocation } from './store/index.js';
import { DeadLetterRepo } from './tracing/dead-letters.js';
import { TraceIngest } from './tracing/ingest.js';
import { createPreparer } from './tracing/prepare.js';
import { PriceBook } from './tracing/prices/book.js';
import { Recorder } from './tracing/recorder.js';
import { RetentionJob } from './tracing/retention.js';
import { Sanitizer } from './tracing/sanitize.js';
import { Sandbox } from './sandbox/index.js';
import { memoryFamily } from './tools/builtin/memory.js';
import { retrieveFamily } from './tools/builtin/retrieve.js';
import { runCodeFamily } from './tools/builtin/run-code.js';
import { buildHttpTools, httpFamily } from './tools/http/family.js';
import { McpServers, mcpToolFamily } from './tools/mcp/index.js';
import { toolLoopLayer } from './tools/loop/layer.js';
import { verifyLayer } from './verify/layer.js';
import { ToolResolver, type ToolFamilies } from './tools/resolve.js';
import { createRedactor, customRedactRules } from './tracing/redact.js';
import { VERSION } from './version.js';

export interface ServerOptions {
  config: AssayConfig;
  port?: number;
  host?: string;
  dataDir: string;
  /** ASSAY_DATABASE_URL: a file path, sqlite: URL or postgres:// URL; default <dataDir>/assay.db. */
  databaseUrl?: string;
  /** The config file's folder: relative paths in it (OpenAPI documents) are resolved from here; default the working directory. */
  configDir?: string;
  /** ASSAY_ADMIN_KEY */
  adminKey?: string;
  /** How long in-flight calls may run after shutdown starts. */
  shutdownGraceMs?: number;
  log?: (msg: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  /** The admin key generated at this start (first start without ASSAY_ADMIN_KEY), else null. */
  generatedAdminKey: string | null;
  deps: AppDeps;
  /** The retention job, when governance.retention_days is set. */
  retention: RetentionJob | null;
  close(): Promise<void>;
}

/** The configured providers, plus the implicit `local` one when the operator wants it (wantsImplicitLocal). */
export function createProviders(config: AssayConfig, env: ProviderEnv, processEnv: NodeJS.ProcessEnv = process.env): Map<string, Provider> {
  const providers = new Map<string, Provider>();
  const entries = [...config.providers];
  if (!entries.some((p) => p.id === 'local') && wantsImplicitLocal(config, processEnv)) {
    entries.push(providerModule('local')!.configSchema.parse({ id: 'local', type: 'local' }) as (typeof entries)[number]);
  }
  for (const p of entries) {
    const mod = providerModule(p.type);
    if (!mod) throw new Error(`unknown provider type ${p.type}`);
    providers.set(p.id, mod.create(p, env));
  }
  return providers;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const opened: (() => unknown)[] = [];
  try {
    return await assemble(opts, opened);
  } catch (err) {
    // A start that fails half-way (a busy port, a store that will not migrate …) releases what it
    // opened, newest first: sandbox workers, timers and connections would keep the process alive.
    for (const close of opened.reverse()) await Promise.resolve().then(close).catch(() => undefined);
    throw err;
  }
}

/** Opens and wires everything; each resource's closer goes into `opened` as soon as it exists. */
async function assemble(opts: ServerOptions, opened: (() => unknown)[]): Promise<RunningServer> {
  const log = opts.log ?? ((m: string) => console.error(`[assay] ${m}`));
  const { config } = opts;
  // First, so a bad OpenAPI document stops the start before anything is opened.
  const httpTools = buildHttpTools(config, { baseDir: opts.configDir ?? process.cwd() });
  const store = await openStore(resolveStoreLocation(opts.databaseUrl, opts.dataDir));
  opened.push(() => store.close());
  const keys = new KeyService(store.keys);
  await keys.start();
  opened.push(() => keys.stop());
  const generatedAdminKey = await keys.bootstrapAdmin(opts.adminKey);

  const redactor = createRedactor(
    config.governance.redact.builtins,
    customRedactRules(config.governance.redact.custom),
  );
  const prices = new PriceBook(store.prices);
  await prices.load();
  const prepare = createPreparer({ redactor, price: (o) => prices.price(o) });
  const { max_depth: maxDepth, max_string_length: maxStringLength, max_value_bytes: maxValueBytes } = config.tracing;
  const sanitizer = new Sanitizer({ maxDepth, maxStringLength, maxValueBytes });
  const ingest = new TraceIngest(store, prepare, { sanitizer, deadLetters: new DeadLetterRepo(store.db), log });
  const emailSender = new EmailSender(config.alerts.smtp);
  opened.push(() => emailSender.close());
  const metrics = new MetricsService(store);
  const alerts = new AlertService({
    repo: store.alerts,
    metrics,
    intervalMs: config.alerts.interval_ms,
    allowHosts: config.alerts.allow_hosts,
    email: emailSender.configured ? emailSender.send : undefined,
    log,
  });
  const counters = config.redis ? new RedisCounters(config.redis.url, `${config.redis.key_prefix}budget:`) : new MemoryCounters();
  opened.push(() => counters.close());
  const limiter = createLimiter(config, log);
  opened.push(() => limiter.close());
  const budgets = new BudgetService({
    repo: store.budgets,
    counters,
    log,
    onBreach: (e) => notifyBudget(alerts, e, log),
  });
  await budgets.start();
  // Annotation sampling rules: matched in onRecord (no I/O, never throws), added in batches.
  const sampler = new Sampler({ log });
  const recorder = new Recorder({
    // Priced as recorded, so budgets count the call at once; redacted when written.
    onRecord: (o) => {
      prices.price(o);
      budgets.account(o);
      sampler.observe(o);
    },
    sanitize: (o) => sanitizer.observation(o),
    write: (batch) => ingest.recorded(batch),
    batchSize: config.tracing.batch_size,
    flushIntervalMs: config.tracing.flush_interval_ms,
    capacity: config.tracing.queue_capacity,
    capacityBytes: config.tracing.queue_capacity_bytes,
    log,
  });
  opened.push(() => recorder.close());
  const providers = createProviders(config, { dataDir: opts.dataDir, log });
  opened.push(() => Promise.allSettled([...providers.values()].map((p) => p.close())));
  const registry = new ModelRegistry(providers, config.routes, config.router);
  const router = createRouter({ registry, defaults: config.router, maxStreamMs: config.limits.max_stream_ms });
  const embeddings = limitsEmbeddings(limiter, budgetEmbeddings(budgets, router.embeddings));
  // Not awaited: if the index cannot open (e.g. sqlite-vec fails to load), the gateway still starts and /api/kb answers 503 with the reason.
  const knowledge = new KnowledgeService({
    index: openKnowledgeIndex(store.db),
    embedderFor: (model) => createEmbedder({ embeddings, sink: recorder }, model),
    config: config.knowledge,
  });
  // Long-term memory per end user: on when the config has a memory: section.
  const memory = config.memory
    ? new MemoryService({ db: store.db, config: config.memory, embed: createEmbedder({ embeddings, sink: recorder }, config.memory.embedding_model), sink: recorder })
    : null;
  const sandbox = new Sandbox();
  opened.push(() => sandbox.close());
  const mcp = new McpServers(config.mcp_servers, { log });
  opened.push(() => mcp.close());
  const toolFamilies: ToolFamilies = {
    run_code: runCodeFamily(sandbox),
    retrieve: retrieveFamily(knowledge),
    mcp: mcpToolFamily(mcp),
    http: httpFamily(httpTools),
    ...(memory ? { memory: memoryFamily({ memory, chat: () => deps.chat, log }) } : {}),
  };
  const tools = new ToolResolver(toolFamilies);
  const prompts = new PromptService({ db: store.db, log });
  await prompts.start();
  opened.push(() => prompts.stop());
  const datasets = new DatasetService({ db: store.db, getTrace: (id, project) => store.observations.getTrace(id, project) });
  const grading: GradingDeps = {
    chat: (req, ctx) => deps.chat(req, ctx),
    sink: recorder,
    sandbox,
    embedFor: (model) => createEmbedder({ embeddings, sink: recorder }, model),
    defaultEmbeddingModel: config.knowledge.default_embedding_model,
  };
  const experiments = new ExperimentService({
    db: store.db,
    runner: { chat: (req, ctx) => deps.chat(req, ctx), sink: recorder, render: renderTemplate },
    gradeFor: (grader) => gradeFn(grading, grader),
    loadDataset: async (name, version, projectId) => {
      const { version: v, items } = await datasets.itemsAt(projectId, name, version);
      return { version: v, items: items.map((it) => toTestCase(it) as InlineItem) };
    },
    checkAssertions: checkAssertions(grading),
    log,
  });
  await experiments.start();
  opened.push(() => experiments.close());
  const queues = new QueueService({
    db: store.db,
    sources: {
      getTrace: (id, project) => store.observations.getTrace(id, project),
      listTraces: (filter, limit, cursor) => store.observations.listTraces(filter, limit, cursor),
      scoredTraces: (project, match, ids) => store.scores.tracesWithScore(project, match, ids),
      experimentResults: (project, ref) => experiments.results(project, ref).then(({ experiment, rows }) => ({ experiment, rows })),
      datasetInputs: async (project, name, version) => new Map((await datasets.itemsAt(project, name, version)).items.map((it) => [it.id, it.input])),
    },
    writeScores: (scores) => ingest.scores(scores),
    sampler,
    log,
  });
  await queues.start();
  opened.push(() => queues.close());
  const deps: AppDeps = {
    config,
    store,
    keys,
    webSessions: new WebSessions(store.webSessions, keys),
    recorder,
    ingest,
    scoreConfigs: new ScoreConfigService(store.db),
    prices,
    registry,
    router,
    budgets,
    limits: limiter,
    sandbox,
    tools: { mcp, http: httpTools },
    chat: compose(
      [
        limitsLayer(limiter),
        budgetLayer(budgets),
        promptLayer({ prompts, registry }),
        verifyLayer({ registry, direct: router.chat, sandbox, embedFor: grading.embedFor, embed: grading.defaultEmbeddingModel ? grading.embedFor(grading.defaultEmbeddingModel) : undefined, storeBodies: config.tracing.store_bodies }),
        toolLoopLayer({ registry, resolver: tools, storeBodies: config.tracing.store_bodies, log }),
      ],
      router.chat,
    ),
    embeddings,
    knowledge,
    memory,
    metrics,
    alerts,
    prompts,
    datasets,
    experiments,
    queues,
    version: VERSION,
    startedAt: Date.now(),
  };
  const retention = config.governance.retention_days
    ? new RetentionJob(store, config.governance.retention_days, config.governance.retention_interval_ms, log)
    : null;
  retention?.start();
  opened.push(() => retention?.stop());
  const app = createApp(deps);
  alerts.start();
  opened.push(() => alerts.stop());

  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: opts.port ?? 4141, hostname: opts.host ?? '127.0.0.1' }, () => resolve(s as Server));
    (s as Server).once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  const { port } = server.address() as AddressInfo;
  const host = opts.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const idle = setInterval(() => server.closeIdleConnections(), 100);
      const grace = new Promise<void>((resolve) => setTimeout(resolve, opts.shutdownGraceMs ?? 30_000).unref());
      await Promise.race([closed, grace]);
      clearInterval(idle);
      server.closeAllConnections(); // in-flight calls see their client go away and stop
      await closed;
      // Each step runs even when one before it fails (a recorder that cannot flush must not leave the store open).
      const steps: [string, () => unknown][] = [
        ['trace recorder', () => recorder.close()],
        ['annotation queues', () => queues.close()],
        ['alerts', () => alerts.stop()],
        ['email sender', () => emailSender.close()],
        ['keys', () => keys.stop()],
        ['prompts', () => prompts.stop()],
        ['experiments', () => experiments.close()],
        ['providers', () => Promise.allSettled([...providers.values()].map((p) => p.close()))],
        ['sandbox', () => sandbox.close()],
        ['MCP servers', () => mcp.close()],
        ['retention job', () => retention?.stop()],
        ['counters', () => counters.close()],
        ['limiter', () => limiter.close()],
        ['store', () => store.close()],
      ];
      for (const [name, step] of steps) {
        await Promise.resolve().then(step).catch((err: Error) => log(`shutdown: closing the ${name} failed (${err?.message ?? err}); closing the rest`));
      }
    })());

  return { url, port, generatedAdminKey, deps, retention, close };
}
