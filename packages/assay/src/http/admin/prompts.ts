/**
 * /api/prompts: the prompt registry (docs/prompts.md). Create versions, list prompts, read versions,
 * move labels, diff two versions, render for the playground. Names go URL-encoded in paths
 * (`support%2Fanswer`). Reading and rendering need the read scope; writing needs admin.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { badRequest } from '../../errors.js';
import { DEFAULT_PROJECT } from '../../prompts/service.js';
import {
  createInputSchema,
  labelSchema,
  promptNameSchema,
  refLabelSchema,
  renderArgsSchema,
  toNewVersion,
  type PromptRef,
} from '../../prompts/types.js';
import { authenticate, type AuthVars } from '../auth.js';
import { readJson, validate } from '../body.js';
import type { AppDeps } from '../deps.js';

/** Prompt bodies are at most 256 KiB of text, or 500 messages; with config and JSON overhead this is ample. */
const MAX_PROMPT_BODY_BYTES = 4 * 1024 * 1024;

const versionParam = z.coerce.number({ message: 'version must be a number' }).int().positive({ message: 'versions start at 1' });
const limit = z.coerce.number({ message: 'limit must be a number' }).int().min(1).max(500).default(50);
const cursorOf = (v: string | number) => Buffer.from(String(v)).toString('base64url');
const fromCursor = (c: string) => Buffer.from(c, 'base64url').toString('utf8');

const listQuery = z.strictObject({ limit, cursor: z.string().optional(), name: z.string().optional(), label: z.string().optional(), tag: z.string().optional() });
const getQuery = z
  .strictObject({ label: refLabelSchema.optional(), version: versionParam.optional(), limit, cursor: z.string().optional() })
  .refine((q) => q.label === undefined || q.version === undefined, { message: 'give label or version, not both' });
const diffQuery = z.strictObject({ from: versionParam.optional(), to: versionParam.optional() });
const labelsBody = z
  .strictObject({
    version: z.number({ message: 'version is required: the version the labels point at' }).int().positive(),
    label: labelSchema.optional(),
    labels: z.array(labelSchema).max(50).optional(),
  })
  .refine((b) => b.label !== undefined || (b.labels?.length ?? 0) > 0, { message: 'give label (one) or labels (a list)', path: ['labels'] });
const renderBody = z
  .strictObject({ label: refLabelSchema.optional(), version: z.number().int().positive().optional(), ...renderArgsSchema.shape })
  .refine((b) => b.label === undefined || b.version === undefined, { message: 'give label or version, not both' });

/** The prompt name from the path (decoded), checked like a created one. */
function nameParam(raw: string): string {
  const r = promptNameSchema.safeParse(raw);
  if (!r.success) throw badRequest(`prompt name "${raw}": ${r.error.issues[0].message}`, 'name', 'invalid_prompt_name');
  return r.data;
}

function versionsCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const n = Number(fromCursor(cursor));
  if (!Number.isInteger(n) || n < 1) throw badRequest('cursor is not one this API returned: pass next_cursor from the previous page', 'cursor');
  return n;
}

export function promptsRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  const read = authenticate(deps, 'read');
  const admin = authenticate(deps, 'admin');
  const prompts = deps.prompts;
  const project = (c: { var: AuthVars }) => c.var.key.project_id ?? DEFAULT_PROJECT;

  app.get('/', read, (c) => {
    const q = validate(listQuery, c.req.query());
    let all = prompts.list(project(c), { name: q.name, label: q.label, tag: q.tag });
    if (q.cursor !== undefined) {
      const after = fromCursor(q.cursor);
      all = all.filter((p) => p.name > after);
    }
    const data = all.slice(0, q.limit);
    return c.json({ data, next_cursor: all.length > q.limit ? cursorOf(data[data.length - 1].name) : null });
  });

  app.post('/', admin, async (c) => {
    const input = await readJson(c, createInputSchema, MAX_PROMPT_BODY_BYTES);
    return c.json(await prompts.create(toNewVersion(input), { projectId: project(c), keyId: c.var.key.id }), 201);
  });

  app.get('/:name', read, async (c) => {
    const name = nameParam(c.req.param('name'));
    const q = validate(getQuery, c.req.query());
    if (q.label !== undefined || q.version !== undefined) return c.json(await prompts.get({ name, label: q.label, version: q.version }, project(c)));
    const summary = prompts.summary(project(c), name);
    const page = await prompts.versions(project(c), name, q.limit, versionsCursor(q.cursor));
    return c.json({ ...summary, versions: page.data, next_cursor: page.next === null ? null : cursorOf(page.next) });
  });

  app.get('/:name/versions', read, async (c) => {
    const name = nameParam(c.req.param('name'));
    const q = validate(z.strictObject({ limit, cursor: z.string().optional() }), c.req.query());
    const page = await prompts.versions(project(c), name, q.limit, versionsCursor(q.cursor));
    return c.json({ data: page.data, next_cursor: page.next === null ? null : cursorOf(page.next) });
  });

  app.post('/:name/versions', admin, async (c) => {
    const name = nameParam(c.req.param('name'));
    const body = await readJson(c, z.looseObject({}), MAX_PROMPT_BODY_BYTES);
    if (body.name !== undefined && body.name !== name) throw badRequest(`the body names prompt "${String(body.name)}" but the path names "${name}"`, 'name');
    const input = validate(createInputSchema, { ...body, name });
    return c.json(await prompts.create(toNewVersion(input), { projectId: project(c), keyId: c.var.key.id }), 201);
  });

  app.get('/:name/versions/:version', read, async (c) => {
    const name = nameParam(c.req.param('name'));
    const version = validate(versionParam, c.req.param('version'));
    return c.json(await prompts.get({ name, version }, project(c)));
  });

  const setLabels = async (c: Context<{ Variables: AuthVars }>) => {
    const name = nameParam(c.req.param('name')!);
    const b = await readJson(c, labelsBody, 64 * 1024);
    const labels = [...(b.label !== undefined ? [b.label] : []), ...(b.labels ?? [])];
    return c.json(await prompts.setLabels(project(c), name, b.version, labels, c.var.key.id));
  };
  app.put('/:name/labels', admin, setLabels);
  app.post('/:name/labels', admin, setLabels);

  app.delete('/:name/labels/:label', admin, async (c) => {
    const name = nameParam(c.req.param('name'));
    const label = validate(labelSchema, c.req.param('label'));
    return c.json(await prompts.removeLabel(project(c), name, label));
  });

  app.get('/:name/diff', read, async (c) => {
    const name = nameParam(c.req.param('name'));
    const q = validate(diffQuery, c.req.query());
    const latest = prompts.summary(project(c), name).latest_version;
    const to = q.to ?? latest;
    const from = q.from ?? Math.max(1, to - 1);
    return c.json(await prompts.diff(project(c), name, from, to));
  });

  app.post('/:name/render', read, async (c) => {
    const name = nameParam(c.req.param('name'));
    const b = await readJson(c, renderBody, MAX_PROMPT_BODY_BYTES);
    const ref: PromptRef = { name, label: b.label, version: b.version };
    return c.json(await prompts.render(ref, { variables: b.variables, placeholders: b.placeholders }, project(c)));
  });

  return app;
}
