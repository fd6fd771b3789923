/**
 * The prompt-resolution layer of the model pipeline (after limits/budgets, before cache and tools).
 * A call uses a prompt when its body has `assay.prompt: {name, label | version, variables,
 * placeholders}` or its route binds one (`routes[].prompt: {name, label | version}`; the request's
 * `assay.prompt` then only needs `variables`, and a request naming another prompt wins). The layer:
 *
 *  1. resolves the version from memory: explicit version > label > `production` (400 when missing);
 *  2. renders it (400 naming missing variables);
 *  3. puts the rendered messages first and appends the client's (a text prompt is one system message);
 *  4. fills request parameters the client left unset (or null) from the prompt's config;
 *  5. takes the model from `config.model` only when the request's model is "assay/prompt";
 *  6. records prompt_name / prompt_version on the call's span (and, when bodies are traced, the
 *     messages actually sent as the span's input) and strips `assay.prompt`.
 */
import { formatPath } from '../config/load.js';
import { z } from 'zod';
import { AssayError, badRequest } from '../errors.js';
import { checkModel } from '../gateway/allow.js';
import type { ModelRegistry } from '../gateway/registry.js';
import type { CallContext, ChatHandler, Layer } from '../gateway/spec.js';
import type { ChatRequest } from '../gateway/types.js';
import type { RenderedPrompt } from './render.js';
import type { PromptService } from './service.js';
import { promptNameSchema, refLabelSchema, renderArgsSchema, type FilledMessage, type PromptRef } from './types.js';

/** The model name that means "the model in the prompt's config". */
export const PROMPT_MODEL = 'assay/prompt';

/** Request parameters a prompt's config may supply (other config keys are for the app, not sent). */
export const CONFIG_PARAMS = [
  'temperature', 'top_p', 'max_tokens', 'max_completion_tokens', 'stop', 'seed', 'presence_penalty', 'frequency_penalty',
  'response_format', 'tools', 'tool_choice', 'parallel_tool_calls', 'logit_bias', 'logprobs', 'top_logprobs',
  'reasoning_effort', 'verbosity', 'service_tier', 'modalities', 'prediction', 'web_search_options',
] as const;

export interface PromptLayerDeps {
  prompts: PromptService;
  registry: ModelRegistry;
}

export interface PromptPlan {
  ref: PromptRef;
  variables: Record<string, unknown>;
  placeholders: Record<string, FilledMessage[]>;
  /** Where the reference came from. */
  source: 'request' | 'route';
}

const requestPromptSchema = z
  .strictObject({
    name: promptNameSchema.optional(),
    label: refLabelSchema.optional(),
    version: z.number().int().positive().optional(),
    ...renderArgsSchema.shape,
  })
  .refine((r) => r.label === undefined || r.version === undefined, { message: 'give label or version, not both' });


/** The prompt a call uses, or null. */
export function promptPlan(req: ChatRequest, registry: ModelRegistry): PromptPlan | null {
  const raw = req.assay?.prompt;
  const bound = req.model === PROMPT_MODEL ? undefined : registry.route(req.model)?.prompt;
  if (raw === undefined && !bound) return null;
  let ext: { name?: string; label?: string; version?: number; variables?: Record<string, unknown>; placeholders?: Record<string, FilledMessage[]> } = {};
  if (raw !== undefined) {
    const r = requestPromptSchema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      const param = formatPath(['assay', 'prompt', ...issue.path]);
      throw badRequest(`${param}: ${issue.message}`, param, 'invalid_prompt');
    }
    ext = r.data as typeof ext;
  }
  const common = { variables: ext.variables ?? {}, placeholders: ext.placeholders ?? {} };
  if (ext.name !== undefined) {
    return { ref: { name: ext.name, label: ext.label, version: ext.version }, ...common, source: 'request' };
  }
  if (!bound) {
    throw badRequest('assay.prompt.name is required: the prompt to use, e.g. {"name": "support/answer", "variables": {…}}', 'assay.prompt.name', 'invalid_prompt');
  }
  // A route's binding; the request may pick another label or version of the same prompt.
  const pick = ext.label !== undefined || ext.version !== undefined ? { label: ext.label, version: ext.version } : { label: bound.label, version: bound.version };
  return { ref: { name: bound.name, ...pick }, ...common, source: 'route' };
}

/**
 * The request with a rendered prompt applied: its messages first, the client's after; config
 * parameters where the client set none; the model from config when the request's model is
 * "assay/prompt"; `assay.prompt` removed. Exported for the experiment runner.
 */
export function applyPrompt(req: ChatRequest, rendered: RenderedPrompt): ChatRequest {
  const out: ChatRequest = { ...req, messages: [...rendered.messages, ...req.messages] };
  const config = rendered.config;
  const params = out as Record<string, unknown>;
  for (const p of CONFIG_PARAMS) {
    if (params[p] == null && config[p] !== undefined && config[p] !== null) params[p] = config[p];
  }
  if (req.model === PROMPT_MODEL) {
    const model = config.model ?? config.route;
    if (typeof model !== 'string' || !model) {
      throw badRequest(
        `model is "${PROMPT_MODEL}" but prompt "${rendered.name}" version ${rendered.version} has no config.model: name a model or route in the request, or add "model" to the prompt's config`,
        'model',
        'prompt_without_model',
      );
    }
    out.model = model;
  }
  if (req.assay && 'prompt' in req.assay) {
    const { prompt: _prompt, ...rest } = req.assay;
    if (Object.keys(rest).length) out.assay = rest;
    else delete out.assay;
  }
  return out;
}

/** A not-found from the registry becomes a 400 of the call (the endpoint exists; the request names a missing prompt). */
function asCallError(err: unknown, plan: PromptPlan): unknown {
  if (err instanceof AssayError && err.status === 404) {
    const where = plan.source === 'route' ? ' (bound by the route)' : '';
    return new AssayError({ status: 400, message: err.message + where, code: err.code, param: `assay.prompt.${err.param ?? 'name'}` });
  }
  return err;
}

export function promptLayer(deps: PromptLayerDeps): Layer {
  return (next: ChatHandler): ChatHandler =>
    async (req: ChatRequest, ctx: CallContext) => {
      const plan = promptPlan(req, deps.registry);
      if (!plan) {
        if (req.model === PROMPT_MODEL) {
          throw badRequest(`model "${PROMPT_MODEL}" takes the model from a prompt: add "assay": {"prompt": {"name": …}} to the request`, 'model', 'invalid_prompt');
        }
        if (req.messages.length === 0) {
          throw badRequest('messages needs at least one message (it may be empty only when a prompt from the registry supplies them: "assay": {"prompt": {"name": …}})', 'messages');
        }
        return next(req, ctx);
      }
      const project = ctx.span.observation.project_id;
      let rendered: RenderedPrompt;
      try {
        rendered = await deps.prompts.render(plan.ref, plan, project);
      } catch (err) {
        throw asCallError(err, plan);
      }
      const out = applyPrompt(req, rendered);
      if (out.messages.length === 0) throw badRequest(`prompt "${rendered.name}" v${rendered.version} renders no messages and the request has none`, 'messages');
      if (out.model !== req.model) checkModel(ctx, out.model, `the config of prompt "${rendered.name}" v${rendered.version}`);
      ctx.span.set({ prompt_name: rendered.name, prompt_version: rendered.version });
      // When bodies are traced, the trace shows the messages the model got (assay.prompt stays: name and variables).
      const input = ctx.span.observation.input;
      if (input && typeof input === 'object' && !Array.isArray(input)) ctx.span.set({ input: { ...input, messages: out.messages } });
      ctx.span.meta({ prompt: { name: rendered.name, version: rendered.version, ...(plan.ref.version === undefined ? { label: plan.ref.label ?? 'production' } : {}) } });
      return next(out, ctx);
    };
}
