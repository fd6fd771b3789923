/** Everything the HTTP surfaces need, built once by server.ts. */
import type { AlertService } from '../alerts/service.js';
import type { BudgetService } from '../budgets/service.js';
import type { DatasetService } from '../datasets/service.js';
import type { AssayConfig } from '../config/schema.js';
import type { ModelRegistry } from '../gateway/registry.js';
import type { Router } from '../gateway/router/index.js';
import type { ChatHandler, EmbeddingsHandler } from '../gateway/spec.js';
import type { KeyService } from '../keys/service.js';
import type { Limiter } from '../limits/index.js';
import type { KnowledgeService } from '../knowledge/service.js';
import type { WebSessions } from '../keys/web-sessions.js';
import type { MemoryService } from '../memory/index.js';
import type { MetricsService } from '../metrics/service.js';
import type { PromptService } from '../prompts/service.js';
import type { ExperimentService } from '../evals/experiments/service.js';
import type { QueueService } from '../feedback/queues/service.js';
import type { ScoreConfigService } from '../feedback/scores/service.js';
import type { Sandbox } from '../sandbox/index.js';
import type { HttpToolSet } from '../tools/http/family.js';
import type { McpServers } from '../tools/mcp/index.js';
import type { Store } from '../store/index.js';
import type { TraceIngest } from '../tracing/ingest.js';
import type { PriceBook } from '../tracing/prices/book.js';
import type { Recorder } from '../tracing/recorder.js';

export interface AppDeps {
  config: AssayConfig;
  store: Store;
  keys: KeyService;
  /** Dashboard sign-in sessions (HttpOnly cookie). */
  webSessions: WebSessions;
  /** Gateway spans: queued, written in batches. */
  recorder: Recorder;
  /** Ingested observations and scores: written before the request is acknowledged. */
  ingest: TraceIngest;
  /** Score configs: definitions scores are checked against (/api/score-configs). */
  scoreConfigs: ScoreConfigService;
  /** The model price table (custom entries over the built-in ones). */
  prices: PriceBook;
  /** Spend and token budgets the gateway enforces. */
  budgets: BudgetService;
  /** Rate and concurrency limits per key (model API and management API). */
  limits: Limiter;
  registry: ModelRegistry;
  router: Router;
  /** Tool sources with state: MCP servers and the configured HTTP/OpenAPI tools. */
  tools: { mcp: McpServers; http: HttpToolSet };
  /** Code execution (QuickJS/WebAssembly): the run_code tool, code scorers and verifiers. */
  sandbox: Sandbox;
  /** The composed chat pipeline (layers over the router). */
  chat: ChatHandler;
  embeddings: EmbeddingsHandler;
  /** Knowledge bases: create, ingest, search (the /api/kb API, `assay kb`, the retrieve tool). */
  knowledge: KnowledgeService;
  /** Long-term memory per end user (/api/memory, the remember/recall tools); null without a memory: section. */
  memory: MemoryService | null;
  /** Metrics of model calls for the dashboard and the alert rules. */
  metrics: MetricsService;
  /** Alert rules, notification channels and their history; `notify` sends through channels. */
  alerts: AlertService;
  /** The prompt registry: versions and labels in memory for the gateway, /api/prompts, the Langfuse prompt API. */
  prompts: PromptService;
  /** Versioned datasets of test items (/api/datasets, `assay dataset`, experiments). */
  datasets: DatasetService;
  /** Experiments: datasets × variants × repeats through the gateway, graded, with statistics. */
  experiments: ExperimentService;
  /** Annotation queues: items, annotators, agreement, adjudication, promotion (/api/queues). */
  queues: QueueService;
  version: string;
  startedAt: number;
}
