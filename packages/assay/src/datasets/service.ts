/**
 * Datasets as a product (docs/datasets.md): create, list, delete; items of any version (paged, or
 * all at once for an experiment run); writes (batches, single edits, deletions, JSONL/CSV imports,
 * items from traces), each a new immutable version unless nothing changed; exports that give the
 * same bytes for the same data. The HTTP API (/api/datasets) and the CLI (`assay dataset`) go
 * through this class; experiments read `itemsAt(project, dataset, version)`.
 */
import { randomBytes } from 'node:crypto';
import { AssayError, badRequest, notFound } from '../errors.js';
import type { Db } from '../store/db.js';
import type { Observation } from '../tracing/span.js';
import { itemsFromCsv, itemsToCsv } from './csv-items.js';
import { contentKey, newItemId, parseItem } from './item.js';
import { itemsFromJsonl, itemsFromValues, itemsToJsonl } from './jsonl.js';
import { DatasetRepo, decodeItem, type ChangeSet, type ItemRow } from './repo.js';
import { itemFromTrace, type ExpectedFrom } from './traces.js';
import {
  DATASET_NAME, MAX_ROW_ERRORS, type DataFormat, type Dataset, type DatasetItem, type DatasetVersion, type ItemDraft,
  type LocatedItem, type RowError, type VersionOrigin, type WriteMode, type WriteResult,
} from './types.js';

/** Items in one write (import, batch, traces). */
export const MAX_WRITE_ITEMS = 100_000;
export const MAX_TRACES = 100;
export const MAX_PAGE = 1_000;

export interface DatasetServiceOptions {
  db: Db;
  /** Every observation of a trace of the project, in start order (empty when there is no such trace). */
  getTrace: (traceId: string, projectId: string) => Promise<Observation[]>;
}

export interface CreateDatasetInput {
  name: string;
  description?: string | null;
  metadata?: Record<string, unknown> | null;
}

export interface WriteOptions {
  mode?: WriteMode;
  /** The key id recorded on the version. */
  author?: string | null;
}

export interface ItemsPage {
  dataset: Dataset;
  version: number;
  data: DatasetItem[];
  next_cursor: string | null;
}

export interface ExportResult {
  dataset: Dataset;
  version: number;
  format: DataFormat;
  body: string;
}

/** A write refused because of problems with some rows; nothing was written. */
export class RowErrorsError extends AssayError {
  constructor(
    readonly errors: RowError[],
    what: string,
    code: string,
  ) {
    const shown = errors.slice(0, MAX_ROW_ERRORS);
    const more = errors.length - shown.length;
    super({
      status: 400,
      code,
      message:
        `${what}: nothing was written (${errors.length} problem${errors.length === 1 ? '' : 's'}): ` +
        shown.map(formatRowError).join('; ') +
        (more > 0 ? `; and ${more} more` : ''),
    });
  }
}

export function formatRowError(e: RowError): string {
  const at = e.line !== undefined ? `line ${e.line}` : e.index !== undefined ? `item ${e.index}` : '';
  const col = e.column ? `${at ? ', ' : ''}${e.column.startsWith('__') || e.column.startsWith('#') ? 'column' : 'field'} ${e.column}` : '';
  return `${at}${col}${at || col ? ': ' : ''}${e.message}`;
}

const encodeCursor = (version: number, position: number) => Buffer.from(`${version}:${position}`).toString('base64url');
function decodeCursor(cursor: string): { version: number; position: number } {
  const m = /^(\d+):(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw badRequest('cursor is not one this API gave out: pass next_cursor from the previous page as is', 'cursor', 'invalid_cursor');
  return { version: Number(m[1]), position: Number(m[2]) };
}

export class DatasetService {
  private readonly repo: DatasetRepo;

  constructor(private readonly opts: DatasetServiceOptions) {
    this.repo = new DatasetRepo(opts.db);
  }

  async create(projectId: string, input: CreateDatasetInput): Promise<Dataset> {
    if (typeof input.name !== 'string' || !DATASET_NAME.test(input.name)) {
      throw badRequest(
        `dataset name ${JSON.stringify(input.name)} is not valid: 1–200 letters, digits, "_", ".", "-" or "/", starting with a letter or digit`,
        'name',
        'invalid_name',
      );
    }
    const now = Date.now();
    const d: Dataset = {
      id: `ds_${randomBytes(8).toString('hex')}`,
      project_id: projectId,
      name: input.name,
      description: input.description ?? null,
      metadata: input.metadata && Object.keys(input.metadata).length ? input.metadata : null,
      version: 0,
      items: 0,
      created_at: now,
      updated_at: now,
    };
    if (!(await this.repo.create(d))) {
      throw new AssayError({ status: 409, code: 'already_exists', message: `dataset ${input.name} exists already: pick another name, or import into it` });
    }
    return d;
  }

  /** Datasets by name, paged. */
  async list(projectId: string, opts: { limit?: number; cursor?: string } = {}): Promise<{ data: Dataset[]; next_cursor: string | null }> {
    const limit = opts.limit ?? 50;
    const after = opts.cursor ? Buffer.from(opts.cursor, 'base64url').toString('utf8') : undefined;
    const rows = await this.repo.list(projectId, limit + 1, after);
    const data = rows.slice(0, limit);
    return { data, next_cursor: rows.length > limit ? Buffer.from(data[data.length - 1].name).toString('base64url') : null };
  }

  /** By name or id; 404 naming it. */
  async get(projectId: string, ref: string): Promise<Dataset> {
    const d = await this.repo.find(projectId, ref);
    if (!d) throw notFound(`no dataset ${ref}: create it first (POST /api/datasets, \`assay dataset create ${ref}\`)`, 'dataset_not_found');
    return d;
  }

  async delete(projectId: string, ref: string): Promise<Dataset> {
    const d = await this.get(projectId, ref);
    await this.repo.delete(d.id);
    return d;
  }

  async versions(projectId: string, ref: string): Promise<{ dataset: Dataset; data: DatasetVersion[] }> {
    const dataset = await this.get(projectId, ref);
    return { dataset, data: await this.repo.versions(dataset.id) };
  }

  private checkVersion(d: Dataset, version: number | undefined): number {
    if (version === undefined) return d.version;
    if (!Number.isInteger(version) || version < 0 || version > d.version) {
      throw notFound(`dataset ${d.name} has no version ${version}: its versions are 0 to ${d.version}`, 'version_not_found', 'version');
    }
    return version;
  }

  /** One page of the items of a version (default the current one), in item order. */
  async items(projectId: string, ref: string, opts: { version?: number; limit?: number; cursor?: string } = {}): Promise<ItemsPage> {
    const dataset = await this.get(projectId, ref);
    let version = this.checkVersion(dataset, opts.version);
    let after: number | undefined;
    if (opts.cursor) {
      const c = decodeCursor(opts.cursor);
      if (opts.version !== undefined && opts.version !== c.version) {
        throw badRequest(`the cursor belongs to version ${c.version}, not ${opts.version}: keep the version of the first page`, 'cursor', 'invalid_cursor');
      }
      version = this.checkVersion(dataset, c.version);
      after = c.position;
    }
    const limit = Math.min(opts.limit ?? 100, MAX_PAGE);
    const rows = await this.repo.itemsAt(dataset.id, version, { after, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { dataset, version, data: page.map((r) => r.item), next_cursor: rows.length > limit && last ? encodeCursor(version, last.position) : null };
  }

  /** Every item of a version (default the current one), in item order: what an experiment runs on. */
  async itemsAt(projectId: string, ref: string, version?: number): Promise<{ dataset: Dataset; version: number; items: DatasetItem[] }> {
    const dataset = await this.get(projectId, ref);
    const v = this.checkVersion(dataset, version);
    return { dataset, version: v, items: (await this.repo.itemsAt(dataset.id, v)).map((r) => r.item) };
  }

  async item(projectId: string, ref: string, id: string, version?: number): Promise<DatasetItem> {
    const dataset = await this.get(projectId, ref);
    const v = this.checkVersion(dataset, version);
    const item = await this.repo.itemAt(dataset.id, id, v);
    if (!item) throw notFound(`dataset ${dataset.name} has no item ${id} in version ${v}`, 'item_not_found');
    return item;
  }

  /** Items given as JSON values (any accepted shape); every invalid one is listed in one 400. */
  async writeItems(projectId: string, ref: string, values: readonly unknown[], opts: WriteOptions = {}): Promise<WriteResult> {
    const parsed = itemsFromValues(values);
    if (parsed.errors.length) throw new RowErrorsError(parsed.errors, 'some items are not valid', 'invalid_items');
    return this.write(projectId, ref, parsed.items, { mode: opts.mode ?? 'upsert', author: opts.author ?? null, origin: 'items', what: 'some items cannot be written' });
  }

  /** A JSONL or CSV file: all of it or (with any bad row) nothing. */
  async import(projectId: string, ref: string, text: string, format: DataFormat, opts: WriteOptions = {}): Promise<WriteResult> {
    const dataset = await this.get(projectId, ref);
    const parsed = format === 'csv' ? itemsFromCsv(text) : itemsFromJsonl(text);
    if (parsed.errors.length) throw new RowErrorsError(parsed.errors, `the ${format === 'csv' ? 'CSV' : 'JSONL'} file has errors`, 'invalid_import');
    return this.write(projectId, dataset.id, parsed.items, { mode: opts.mode ?? 'append', author: opts.author ?? null, origin: 'import', what: 'the import cannot be written' });
  }

  /** Changes some fields of one item (`expected`, `assert`, `metadata` null clear them); a new version unless nothing changed. */
  async updateItem(projectId: string, ref: string, id: string, patch: Record<string, unknown>, author: string | null = null): Promise<{ version: number; item: DatasetItem }> {
    const dataset = await this.get(projectId, ref);
    if ('id' in patch && patch.id !== id) throw badRequest('an item id cannot change: delete the item and add it under the new id', 'id');
    const current = await this.repo.itemAt(dataset.id, id, dataset.version);
    if (!current) throw notFound(`dataset ${dataset.name} has no item ${id}`, 'item_not_found');
    const hasInput = ['input', 'messages', 'vars'].some((k) => patch[k] !== undefined);
    const merged: Record<string, unknown> = {
      ...(hasInput ? {} : { input: current.input }),
      expected: current.expected,
      assert: current.assert,
      metadata: current.metadata,
      source: current.source,
      ...patch,
      id,
    };
    const parsed = parseItem(merged);
    if (!parsed.ok) throw new RowErrorsError(parsed.errors.map((e) => ({ column: e.field || undefined, message: e.message })), 'the change is not valid', 'invalid_item');
    const r = await this.write(projectId, dataset.id, [{ item: parsed.item }], { mode: 'upsert', author, origin: 'update', what: 'the change cannot be written', mustExist: true });
    return { version: r.version, item: await this.item(projectId, dataset.id, id, r.version) };
  }

  async deleteItem(projectId: string, ref: string, id: string, author: string | null = null): Promise<{ version: number }> {
    const dataset = await this.get(projectId, ref);
    const result = await this.repo.write(dataset.id, async (tx) => {
      const old = (await tx.byIds([id])).get(id);
      if (!old) throw notFound(`dataset ${dataset.name} has no item ${id}`, 'item_not_found');
      return { add: [], update: [], remove: [old], origin: 'delete', author };
    });
    if (!result) throw notFound(`no dataset ${ref}`, 'dataset_not_found');
    return { version: result.version };
  }

  /** Items from traces (their root observations), upserted under the id `trace-<trace id>`. */
  async fromTraces(
    projectId: string,
    ref: string,
    traceIds: readonly string[],
    opts: { expectedFrom?: ExpectedFrom; author?: string | null } = {},
  ): Promise<WriteResult & { items: DatasetItem[] }> {
    const dataset = await this.get(projectId, ref);
    if (traceIds.length === 0) throw badRequest('trace_ids is empty: give the ids of the traces to add', 'trace_ids');
    if (traceIds.length > MAX_TRACES) throw badRequest(`${traceIds.length} traces in one request; at most ${MAX_TRACES}`, 'trace_ids');
    const unique = [...new Set(traceIds)];
    const traces = await Promise.all(unique.map(async (t) => ({ id: t, observations: await this.opts.getTrace(t, projectId) })));
    const missing = traces.filter((t) => t.observations.length === 0).map((t) => t.id);
    if (missing.length) {
      throw notFound(
        `no trace ${missing.join(', ')}: a trace may still be in the write queue for a few milliseconds, or the id is wrong`,
        'trace_not_found',
        'trace_ids',
      );
    }
    const drafts = traces.map((t, index) => ({ item: itemFromTrace(t.id, t.observations, opts.expectedFrom ?? 'none'), index }));
    const r = await this.write(projectId, dataset.id, drafts, { mode: 'upsert', author: opts.author ?? null, origin: 'traces', what: 'the traces cannot be added' });
    const items = await Promise.all(r.ids.map((id) => this.item(projectId, dataset.id, id, r.version)));
    return { ...r, items };
  }

  async export(projectId: string, ref: string, format: DataFormat, version?: number): Promise<ExportResult> {
    const { dataset, version: v, items } = await this.itemsAt(projectId, ref, version);
    return { dataset, version: v, format, body: format === 'csv' ? itemsToCsv(items) : itemsToJsonl(items) };
  }

  /** The one write path: compares against the current items inside the dataset's lock. */
  private async write(
    projectId: string,
    ref: string,
    located: LocatedItem[],
    o: { mode: WriteMode; author: string | null; origin: VersionOrigin; what: string; mustExist?: boolean },
  ): Promise<WriteResult> {
    const dataset = await this.get(projectId, ref);
    if (located.length > MAX_WRITE_ITEMS) throw badRequest(`${located.length} items in one write; at most ${MAX_WRITE_ITEMS}: split the file`, null, 'too_many_items');
    const counts = { added: 0, updated: 0, removed: 0, unchanged: 0 };
    const ids: string[] = [];
    const result = await this.repo.write(dataset.id, async (tx) => {
      const given = located.map((l) => l.item.id).filter((id): id is string => id !== undefined);
      const current = o.mode === 'replace' ? new Map((await tx.all()).map((r) => [r.id, r])) : await tx.byIds(given);
      const errors: RowError[] = [];
      const seen = new Map<string, LocatedItem>();
      const claimed = new Set<string>(given);
      // On replace, an item without an id takes the id of an identical current item (a re-import changes nothing).
      const unclaimedByContent = new Map<string, ItemRow[]>();
      if (o.mode === 'replace') {
        for (const row of current.values()) {
          if (claimed.has(row.id)) continue;
          const key = contentKey(decodeItem(row));
          unclaimedByContent.set(key, [...(unclaimedByContent.get(key) ?? []), row]);
        }
      }
      const changes: ChangeSet = { add: [], update: [], remove: [], origin: o.origin, author: o.author };
      for (const l of located) {
        const at = { ...(l.line !== undefined ? { line: l.line } : {}), ...(l.index !== undefined ? { index: l.index } : {}) };
        let id = l.item.id;
        if (id !== undefined) {
          const first = seen.get(id);
          if (first) {
            const where = first.line !== undefined ? `line ${first.line}` : first.index !== undefined ? `item ${first.index}` : 'another item';
            errors.push({ ...at, column: 'id', message: `id ${id} appears twice in this write (first at ${where})` });
            continue;
          }
          seen.set(id, l);
        } else {
          const match = unclaimedByContent.get(contentKey(l.item))?.shift();
          id = match?.id ?? newItemId();
        }
        ids.push(id);
        const draft: ItemDraft = { ...l.item, id };
        const old = current.get(id);
        if (!old) {
          if (o.mustExist) throw notFound(`dataset ${dataset.name} has no item ${id}`, 'item_not_found');
          changes.add.push(draft);
        } else if (o.mode === 'append') {
          errors.push({ ...at, column: 'id', message: `item ${id} exists already in dataset ${dataset.name}: use mode upsert to change it, or replace` });
        } else if (contentKey(decodeItem(old)) === contentKey(draft)) {
          counts.unchanged++;
        } else {
          changes.update.push({ draft, old });
        }
      }
      if (errors.length) throw new RowErrorsError(errors, o.what, o.origin === 'import' ? 'invalid_import' : 'invalid_items');
      if (o.mode === 'replace') {
        const kept = new Set(ids);
        changes.remove = [...current.values()].filter((r) => !kept.has(r.id));
      }
      counts.added = changes.add.length;
      counts.updated = changes.update.length;
      counts.removed = changes.remove.length;
      return changes;
    });
    if (!result) throw notFound(`no dataset ${ref}`, 'dataset_not_found');
    return { version: result.version, ...counts, ids };
  }
}
