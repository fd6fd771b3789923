/**
 * Langfuse-compatible prompt management, mounted at /api/public/v2/prompts, so an app using a
 * Langfuse SDK (`getPrompt`, `createPrompt`, `updatePrompt`) fetches and creates prompts in Assay's
 * registry unchanged. Shapes follow Langfuse's public API: a prompt is {name, version, type, prompt,
 * config, labels, tags, commitMessage, …} with chat messages tagged `type: "chatmessage"`; lists are
 * {data, meta: {page, limit, totalItems, totalPages}}; errors are {message, error}.
 *
 * Keys: HTTP Basic `<key id>:<key>` or Bearer. Reading takes the read or the ingest scope (the keys
 * apps give their Langfuse SDK have ingest); creating a version or moving labels takes admin.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { badRequest, forbidden, toAssayError } from '../../errors.js';
import { hasScope, requireScope } from '../../keys/service.js';
import { DEFAULT_PROJECT } from '../../prompts/service.js';
import { LATEST, chatItemSchema, labelSchema, promptNameSchema, refLabelSchema, toNewVersion, createInputSchema, type ChatItem, type PromptBody, type PromptVersionView } from '../../prompts/types.js';
import { declareAccess, keyFromRequest, type AuthVars } from '../auth.js';
import { readJson, validate } from '../body.js';
import type { AppDeps } from '../deps.js';

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** A prompt in Langfuse's wire format. */
export interface LangfusePrompt {
  id: string;
  name: string;
  version: number;
  type: 'text' | 'chat';
  prompt: string | ({ type: 'chatmessage'; role: string; content: string } | { type: 'placeholder'; name: string })[];
  config: Record<string, unknown>;
  labels: string[];
  tags: string[];
  commitMessage: string | null;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  projectId: string;
  resolutionGraph: null;
}

function wirePrompt(body: PromptBody): LangfusePrompt['prompt'] {
  if (typeof body === 'string') return body;
  return body.map((m: ChatItem) => ('type' in m ? { type: 'placeholder' as const, name: m.name } : { type: 'chatmessage' as const, role: m.role, content: m.content }));
}

export function toLangfuse(v: PromptVersionView, projectId: string): LangfusePrompt {
  const at = new Date(v.created_at).toISOString();
  return {
    id: `${v.name}:${v.version}`,
    name: v.name,
    version: v.version,
    type: v.type,
    prompt: wirePrompt(v.prompt),
    config: v.config,
    labels: v.labels,
    tags: v.tags,
    commitMessage: v.commit_message,
    createdAt: at,
    updatedAt: at,
    createdBy: v.created_by ?? 'API',
    projectId,
    resolutionGraph: null,
  };
}

/** Langfuse's create body; unknown fields (e.g. the SDK's legacy isActive) are ignored. */
const createBody = z.looseObject({
  name: promptNameSchema,
  type: z.enum(['text', 'chat'], { message: 'type must be "text" or "chat"' }).optional(),
  prompt: z.union([z.string(), z.array(chatItemSchema)], { message: 'prompt is a string (text) or an array of chat messages (chat)' }),
  config: z.unknown().optional(),
  labels: z.array(z.string()).nullable().optional(),
  tags: z.array(z.string()).nullable().optional(),
  commitMessage: z.string().nullable().optional(),
});

const number = z.coerce.number({ message: 'must be a number' }).int();
const getQuery = z.looseObject({ version: number.positive().optional(), label: refLabelSchema.optional() });
const listQuery = z.looseObject({
  name: z.string().optional(),
  label: z.string().optional(),
  tag: z.string().optional(),
  page: number.min(1).default(1),
  limit: number.min(1).max(100).default(50),
  fromUpdatedAt: z.string().optional(),
  toUpdatedAt: z.string().optional(),
});
const patchBody = z.looseObject({ newLabels: z.array(labelSchema, { message: 'newLabels is a list of labels, e.g. ["production"]' }) });

/** Read or ingest scope (admin includes both). */
function readOrIngest(deps: AppDeps): MiddlewareHandler<{ Variables: AuthVars }> {
  return declareAccess(['read', 'ingest'], async (c, next) => {
    const key = await keyFromRequest(deps, c);
    if (!key) return void requireScope(key, 'ingest'); // 401
    if (!hasScope(key, 'read') && !hasScope(key, 'ingest')) {
      throw forbidden(`Reading prompts needs a key with the read or the ingest scope; this key has: ${key.scopes.join(', ')}`);
    }
    c.set('key', key);
    await next();
  });
}

function timeBound(v: string | undefined, param: string): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw badRequest(`${param} "${v}" is not an ISO 8601 time`, param);
  return t;
}

export function langfusePromptRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  const prompts = deps.prompts;
  const read = readOrIngest(deps);
  const admin: MiddlewareHandler<{ Variables: AuthVars }> = declareAccess(['admin'], async (c, next) => {
    const key = await keyFromRequest(deps, c);
    if (key && !hasScope(key, 'admin')) throw forbidden(`Creating prompts and moving labels needs a key with the admin scope; this key has: ${key.scopes.join(', ')}`);
    c.set('key', requireScope(key, 'admin'));
    await next();
  });
  const project = (c: Context<{ Variables: AuthVars }>) => c.var.key.project_id ?? DEFAULT_PROJECT;

  app.onError((err, c) => {
    const e = toAssayError(err);
    const name = e.status === 404 ? 'LangfuseNotFoundError' : e.status === 401 ? 'UnauthorizedError' : e.status === 403 ? 'ForbiddenError' : e.status < 500 ? 'InvalidRequestError' : 'InternalServerError';
    return c.json({ message: e.message, error: name }, e.status as 400);
  });

  app.get('/', read, (c) => {
    const q = validate(listQuery, c.req.query());
    const from = timeBound(q.fromUpdatedAt, 'fromUpdatedAt');
    const to = timeBound(q.toUpdatedAt, 'toUpdatedAt');
    const all = prompts
      .list(project(c), { name: q.name, label: q.label, tag: q.tag })
      .filter((p) => (from === undefined || p.updated_at >= from) && (to === undefined || p.updated_at < to));
    const data = all.slice((q.page - 1) * q.limit, q.page * q.limit).map((p) => {
      const versions = q.label !== undefined ? [p.labels[q.label]] : Array.from({ length: p.latest_version }, (_, i) => i + 1);
      const last = versions[versions.length - 1];
      const cached = prompts.cached(project(c), p.name);
      return {
        name: p.name,
        type: p.type,
        versions,
        labels: q.label !== undefined ? [q.label] : Object.keys(p.labels).sort(),
        tags: p.tags,
        lastUpdatedAt: new Date(p.updated_at).toISOString(),
        lastConfig: cached?.pinned.get(last)?.record.config ?? {},
      };
    });
    return c.json({ data, meta: { page: q.page, limit: q.limit, totalItems: all.length, totalPages: Math.ceil(all.length / q.limit) } });
  });

  app.post('/', admin, async (c) => {
    const b = await readJson(c, createBody, MAX_BODY_BYTES);
    if (b.config !== undefined && b.config !== null && (typeof b.config !== 'object' || Array.isArray(b.config))) throw badRequest('config must be a JSON object', 'config');
    const input = validate(createInputSchema, {
      name: b.name,
      type: b.type ?? (typeof b.prompt === 'string' ? 'text' : 'chat'),
      prompt: b.prompt,
      config: b.config ?? null,
      labels: (b.labels ?? []).filter((l) => l !== LATEST),
      tags: b.tags ?? undefined,
      commit_message: b.commitMessage ?? null,
    });
    const v = await prompts.create(toNewVersion(input), { projectId: project(c), keyId: c.var.key.id });
    return c.json(toLangfuse(v, project(c)), 201);
  });

  app.get('/:name', read, async (c) => {
    const name = c.req.param('name');
    const q = validate(getQuery, c.req.query());
    if (q.version !== undefined && q.label !== undefined) throw badRequest('Provide either version or label, not both.', 'label');
    const v = await prompts.get({ name, version: q.version, label: q.label }, project(c));
    return c.json(toLangfuse(v, project(c)));
  });

  app.patch('/:name/versions/:version', admin, async (c) => {
    const name = c.req.param('name');
    const version = validate(number.positive(), c.req.param('version'));
    const b = await readJson(c, patchBody, 64 * 1024);
    if (b.newLabels.length) await prompts.setLabels(project(c), name, version, b.newLabels, c.var.key.id);
    else prompts.summary(project(c), name); // 404 for an unknown prompt, as with labels
    return c.json(toLangfuse(await prompts.get({ name, version }, project(c)), project(c)));
  });

  return app;
}
