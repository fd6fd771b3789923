/**
 * /api/prices: the model price table. Reading needs the read scope; every edit (admin) makes a new
 * immutable version, and observations priced afterwards name it in `price_version`.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { badRequest, notFound } from '../../errors.js';
import { BUILTIN_PRICE_VERSION } from '../../tracing/prices/builtin.js';
import { buildTable } from '../../tracing/prices/book.js';
import { computeCost } from '../../tracing/prices/cost.js';
import { priceEntrySchema, type PriceEntry } from '../../tracing/prices/types.js';
import { authenticate, type AuthVars } from '../auth.js';
import { readJson, validate } from '../body.js';
import { catalogParams, pageOf } from '../query.js';
import type { AppDeps } from '../deps.js';

const BODY_LIMIT = 1024 * 1024;

const replaceSchema = z.strictObject({
  entries: z.array(priceEntrySchema).max(5_000),
  note: z.string().max(500).optional(),
});

const entrySchema = priceEntrySchema.omit({ model: true }).extend({ note: z.string().max(500).optional() });

const tokens = z.number().int().nonnegative();
const estimateSchema = z.strictObject({
  model: z.string().min(1),
  input_tokens: tokens.default(0),
  output_tokens: tokens.default(0),
  cached_input_tokens: tokens.default(0),
  cache_write_tokens: tokens.default(0),
  reasoning_tokens: tokens.default(0),
});

function uniqueModels(entries: PriceEntry[]): void {
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    if (seen.has(e.model)) throw badRequest(`entries[${i}].model "${e.model}" appears twice: each entry needs its own model name`, `entries.${i}.model`);
    seen.add(e.model);
  });
}

export function pricesRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  const read = authenticate(deps, 'read');
  const admin = authenticate(deps, 'admin');
  const custom = () => deps.prices.current().entries.filter((e) => e.source === 'custom').map(({ source: _s, ...e }) => e);

  app.get('/', read, (c) => c.json(deps.prices.current()));

  app.get('/versions', read, async (c) => {
    const q = validate(z.strictObject(catalogParams), c.req.query());
    const page = pageOf(await deps.store.prices.list(c.var.key.project_id), q, (v) => String(v.version));
    return c.json({ ...page, builtin_version: BUILTIN_PRICE_VERSION, current: deps.prices.current().version });
  });

  /** A past table, by the version an observation recorded. */
  app.get('/versions/:version', read, async (c) => {
    const version = c.req.param('version');
    const [customPart, builtinPart] = version.includes('+') ? version.split('+', 2) : [null, version];
    if (builtinPart !== BUILTIN_PRICE_VERSION) {
      throw notFound(
        `price table ${version} uses built-in prices ${builtinPart}, but this Assay release ships ${BUILTIN_PRICE_VERSION}; the custom part is still at /api/prices/versions/${customPart ?? ''}`,
        'price_version_not_found',
      );
    }
    if (!customPart) return c.json(buildTable([], null));
    const stored = await deps.store.prices.get(c.var.key.project_id, customPart);
    if (!stored) throw notFound(`no price table version ${customPart}`, 'price_version_not_found');
    return c.json({ ...buildTable(stored.entries, stored.version), note: stored.note, created_at: stored.created_at });
  });

  /** Replace all custom entries. */
  app.put('/', admin, async (c) => {
    const body = await readJson(c, replaceSchema, BODY_LIMIT);
    uniqueModels(body.entries);
    return c.json(await deps.prices.setCustom(body.entries, body.note ?? null));
  });

  /** Add or replace one custom entry (a built-in entry of the same name is overridden). */
  app.put('/entries/:model', admin, async (c) => {
    const model = c.req.param('model');
    const { note, ...fields } = await readJson(c, entrySchema, BODY_LIMIT);
    const entries = [...custom().filter((e) => e.model !== model), { model, ...fields }];
    return c.json(await deps.prices.setCustom(entries, note ?? `set ${model}`));
  });

  app.delete('/entries/:model', admin, async (c) => {
    const model = c.req.param('model');
    const entries = custom();
    if (!entries.some((e) => e.model === model)) {
      throw notFound(`no custom price entry "${model}" (built-in entries cannot be deleted, only overridden)`, 'price_entry_not_found');
    }
    return c.json(await deps.prices.setCustom(entries.filter((e) => e.model !== model), `removed ${model}`));
  });

  /** What a call would cost with the current table. */
  app.post('/estimate', read, async (c) => {
    const b = await readJson(c, estimateSchema, BODY_LIMIT);
    const entry = deps.prices.find(b.model);
    if (!entry) throw notFound(`no price entry matches model "${b.model}"; add one with PUT /api/prices/entries/<name>`, 'price_not_found');
    const cost = computeCost(entry, {
      input: b.input_tokens,
      output: b.output_tokens,
      cachedInput: b.cached_input_tokens,
      cacheWrite: b.cache_write_tokens,
      reasoning: b.reasoning_tokens,
    });
    return c.json({ model: b.model, entry: entry.model, price_version: deps.prices.current().version, cost });
  });
  return app;
}
