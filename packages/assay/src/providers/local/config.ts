/**
 * The `local` provider's config and how a model name resolves to a GGUF source and its settings.
 *
 * `local/default` resolves to: env ASSAY_LOCAL_MODEL (a path) if set, else the configured model
 * named by `default_model` (or `models.default`), else env ASSAY_LOCAL_MODEL_URI, else the
 * built-in small instruct model (DEFAULT_MODEL_URI), downloaded into <dataDir>/models on first use.
 */
import { z } from 'zod';
import { DEFAULT_MODEL_URI, ENV_MODEL_PATH, ENV_MODEL_URI, type ModelSource } from './download.js';

export const localModelSchema = z.strictObject({
  /** A GGUF file on disk. */
  path: z.string().min(1).optional(),
  /** A node-llama-cpp model URI ("hf:user/repo/file.gguf", "hf:user/repo:Q4_K_M") or an https URL. */
  uri: z.string().min(1).optional(),
  /** Context window in tokens, shared by prompt and completion. */
  context_size: z.number().int().min(64).default(4096),
  /**
   * CPU threads for evaluation (chat and embedding contexts). Default 1: more threads than idle
   * cores makes llama.cpp much slower (on 2 cores: ~20 ms for 32 tokens with 1 thread, ~460 ms
   * with 2, ~10 s with the library default). Raise it on machines with cores to spare.
   */
  threads: z.number().int().positive().default(1),
  /** 'auto' offloads to a GPU when node-llama-cpp finds one; false keeps everything on the CPU. */
  gpu: z.union([z.literal('auto'), z.literal(false)]).default(false),
  /** Requests generated at once (context sequences); more wait in the queue. */
  parallel: z.number().int().positive().max(64).default(1),
  /** Requests allowed to wait for this model; one more gets 429. */
  max_queue: z.number().int().nonnegative().default(32),
  /** Completion length when the request sets neither max_completion_tokens nor max_tokens. */
  max_tokens: z.number().int().positive().default(512),
  /** An embedding-only model: serves /v1/embeddings and refuses chat (chat models also embed). */
  embedding: z.boolean().default(false),
});

export type LocalModelConfig = z.infer<typeof localModelSchema>;

export const localConfigSchema = z
  .strictObject({
    id: z.string().min(1).default('local'),
    type: z.literal('local'),
    models: z.record(z.string().min(1), localModelSchema).default({}),
    /** The configured model that `<id>/default` stands for (default: the one named "default"). */
    default_model: z.string().min(1).optional(),
  })
  .superRefine((cfg, ctx) => {
    for (const [name, m] of Object.entries(cfg.models)) {
      if (m.path && m.uri) {
        ctx.addIssue({ code: 'custom', path: ['models', name], message: `model "${name}": set either path or uri, not both` });
      } else if (!m.path && !m.uri && name !== 'default') {
        ctx.addIssue({ code: 'custom', path: ['models', name], message: `model "${name}" needs a path (a GGUF file) or a uri (e.g. hf:user/repo:Q4_K_M)` });
      }
    }
    if (cfg.default_model !== undefined && !(cfg.default_model in cfg.models)) {
      ctx.addIssue({
        code: 'custom',
        path: ['default_model'],
        message: `default_model "${cfg.default_model}" is not one of models (${Object.keys(cfg.models).join(', ') || 'none'})`,
      });
    }
  });

export type LocalProviderConfig = z.infer<typeof localConfigSchema>;

export interface ResolvedModel {
  source: ModelSource;
  settings: LocalModelConfig;
  /** Same key = same loaded model (e.g. "default" and the model default_model names). */
  key: string;
}

const DEFAULT_SETTINGS: LocalModelConfig = localModelSchema.parse({});

/** Resolve a provider-local model name; null when the name is not configured. */
export function resolveModel(
  config: Pick<LocalProviderConfig, 'models' | 'default_model'>,
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedModel | null {
  const own = (n: string) => (Object.prototype.hasOwnProperty.call(config.models, n) ? config.models[n] : undefined);
  let settings: LocalModelConfig | undefined;
  let source: ModelSource;
  if (name === 'default') {
    settings = own(config.default_model ?? 'default') ?? DEFAULT_SETTINGS;
    const envPath = env[ENV_MODEL_PATH]?.trim();
    if (envPath) source = { kind: 'path', path: envPath };
    else if (settings.path) source = { kind: 'path', path: settings.path };
    else if (settings.uri) source = { kind: 'uri', uri: settings.uri };
    else source = { kind: 'uri', uri: env[ENV_MODEL_URI]?.trim() || DEFAULT_MODEL_URI };
  } else {
    settings = own(name);
    if (!settings) return null;
    if (settings.path) source = { kind: 'path', path: settings.path };
    else if (settings.uri) source = { kind: 'uri', uri: settings.uri };
    else return null;
  }
  return { source, settings, key: JSON.stringify([source, settings]) };
}

/** The names listed by /v1/models: the configured ones plus "default". */
export function modelNames(config: Pick<LocalProviderConfig, 'models'>): string[] {
  const names = Object.keys(config.models);
  if (!names.includes('default')) names.push('default');
  return names;
}

/**
 * Whether the implicit `local` provider is wanted (a config without a `type: local` provider gets
 * one only then): the config names a `local/…` model outside `providers:` (a route target or
 * fallback, a knowledge, memory or verify model), or ASSAY_LOCAL_MODEL / ASSAY_LOCAL_MODEL_URI is
 * set. Otherwise no key can start a model download or CPU inference by naming `local/default`.
 */
export function wantsImplicitLocal(config: { providers: readonly unknown[] }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env[ENV_MODEL_PATH]?.trim() || env[ENV_MODEL_URI]?.trim()) return true;
  const { providers: _, ...rest } = config;
  return namesLocal(rest);
}

function namesLocal(value: unknown): boolean {
  if (typeof value === 'string') return value.startsWith('local/');
  if (Array.isArray(value)) return value.some(namesLocal);
  if (value && typeof value === 'object') return Object.values(value).some(namesLocal);
  return false;
}
