/**
 * The price book: the current price table in memory (custom entries from the store over the
 * built-in ones), matched against model ids, applied to observations before they are written.
 * Each priced observation records the table version, so a cost can be reproduced later.
 */
import { compileRegex, regexProblem, type LinearRegex } from '../../config/regex.js';
import type { PricesRepo } from '../../store/prices.js';
import type { Observation } from '../span.js';
import { BUILTIN_PRICES, BUILTIN_PRICE_VERSION } from './builtin.js';
import { computeCost, type TokenCounts } from './cost.js';
import type { PriceEntry, PriceTable } from './types.js';

interface Compiled {
  entry: PriceEntry;
  re: Pick<LinearRegex, 'test'>;
}

/** A stored entry whose pattern RE2 refuses (saved before patterns were linear-time) matches nothing, loudly. */
function compileMatch(entry: PriceEntry): Compiled['re'] {
  const problem = regexProblem(entry.match, 'i');
  if (problem === null) return compileRegex(entry.match, 'i');
  console.warn(`[assay] price entry "${entry.model}": match ${problem}; it prices nothing until it is fixed through /api/prices`);
  return { test: () => false };
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/** A provider-reported cost in the usage object (OpenRouter and others send `usage.cost` in USD). */
function reportedCost(usage: Record<string, unknown> | null): number | null {
  const c = usage?.cost;
  return typeof c === 'number' && Number.isFinite(c) && c >= 0 ? c : null;
}

export function tableVersion(customVersion: string | null): string {
  return customVersion ? `${customVersion}+${BUILTIN_PRICE_VERSION}` : BUILTIN_PRICE_VERSION;
}

export function buildTable(custom: PriceEntry[], customVersion: string | null): PriceTable {
  const overridden = new Set(custom.map((e) => e.model));
  return {
    version: tableVersion(customVersion),
    entries: [
      ...custom.map((e) => ({ ...e, source: 'custom' as const })),
      ...BUILTIN_PRICES.filter((e) => !overridden.has(e.model)).map((e) => ({ ...e, source: 'builtin' as const })),
    ],
  };
}

export class PriceBook {
  private table: PriceTable = buildTable([], null);
  private compiled: Compiled[] = [];
  private readonly cache = new Map<string, Compiled | null>();

  constructor(private readonly repo: PricesRepo | null, private readonly projectId = 'default') {
    this.use(this.table);
  }

  /** Load the latest custom entries from the store. */
  async load(): Promise<void> {
    if (!this.repo) return;
    const latest = await this.repo.latest(this.projectId);
    this.use(buildTable(latest?.entries ?? [], latest?.version ?? null));
  }

  current(): PriceTable {
    return this.table;
  }

  /** Replace the custom entries: a new immutable version. */
  async setCustom(entries: PriceEntry[], note: string | null): Promise<PriceTable> {
    if (!this.repo) throw new Error('no price store');
    const version = await this.repo.insertVersion(this.projectId, entries, note);
    this.use(buildTable(entries, version));
    return this.table;
  }

  private use(table: PriceTable): void {
    this.table = table;
    this.compiled = table.entries.map((entry) => ({ entry, re: compileMatch(entry) }));
    this.cache.clear();
  }

  /** The entry for a model id: the id as given, then without a `provider/` prefix. */
  find(model: string): PriceEntry | null {
    const hit = this.cache.get(model);
    if (hit !== undefined) return hit?.entry ?? null;
    const bare = model.includes('/') ? model.slice(model.lastIndexOf('/') + 1) : null;
    const found =
      this.compiled.find((c) => c.re.test(model)) ?? (bare ? this.compiled.find((c) => c.re.test(bare)) : undefined) ?? null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(model, found);
    return found?.entry ?? null;
  }

  /** Sets cost, cost_details and price_version. A cost the source reported is kept and wins. */
  price(o: Observation): void {
    if (o.cost !== null) {
      o.cost_details ??= { total: o.cost, source: 'provider' };
      return;
    }
    const reported = reportedCost(o.usage);
    if (reported !== null) {
      o.cost = reported;
      o.cost_details = { total: reported, source: 'provider' };
      return;
    }
    if (!o.model || (o.input_tokens === null && o.output_tokens === null)) return;
    const entry = this.find(o.model);
    if (!entry) return;
    const details = (o.usage?.prompt_tokens_details ?? null) as Record<string, unknown> | null;
    const t: TokenCounts = {
      input: num(o.input_tokens),
      output: num(o.output_tokens),
      cachedInput: num(o.cached_input_tokens),
      cacheWrite: num(details?.cache_creation_tokens ?? o.usage?.cache_creation_input_tokens),
      reasoning: num(o.reasoning_tokens),
    };
    const cost = computeCost(entry, t);
    o.cost = cost.total;
    o.cost_details = { ...cost, source: 'computed', price: entry.model };
    o.price_version = this.table.version;
  }
}
