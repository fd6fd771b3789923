/**
 * The dataset tables (migration 008_datasets.ts) on both dialects. Item revisions are rows valid
 * for versions valid_from ≤ N < valid_to; a write closes the rows it replaces or removes and
 * inserts new ones under the next version, in one transaction that starts by writing the
 * dataset's row: writers of one dataset queue there (a row lock on PostgreSQL, the write lock on
 * SQLite), so each computes its changes against the state it then commits over.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Db } from '../store/db.js';
import { fromJson, toJson, withoutNul } from '../store/json.js';
import type { Dataset, DatasetItem, DatasetVersion, ItemDraft, VersionOrigin } from './types.js';

type DatasetsTable = {
  id: string;
  project_id: string;
  name: string;
  description: string | null;
  metadata: unknown;
  version: number;
  items: number;
  next_position: number;
  created_at: number;
  updated_at: number;
};

type VersionsTable = {
  dataset_id: string;
  version: number;
  origin: string;
  author: string | null;
  added: number;
  updated: number;
  removed: number;
  items: number;
  created_at: number;
};

export type ItemRow = {
  dataset_id: string;
  id: string;
  valid_from: number;
  valid_to: number | null;
  position: number;
  input: string;
  expected: string | null;
  assert: string | null;
  metadata: string | null;
  source: string | null;
  created_at: number;
  updated_at: number;
};

type Tables = { datasets: DatasetsTable; dataset_versions: VersionsTable; dataset_items: ItemRow };
type Tx = Transaction<Tables>;

const CHUNK = 500;

function chunks<T>(xs: readonly T[], n = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

const parse = (s: string | null): unknown => (s === null ? null : JSON.parse(s));

export function decodeItem(r: ItemRow): DatasetItem {
  return {
    id: r.id,
    input: JSON.parse(r.input),
    expected: parse(r.expected),
    assert: parse(r.assert) as DatasetItem['assert'],
    metadata: parse(r.metadata) as DatasetItem['metadata'],
    source: parse(r.source) as DatasetItem['source'],
    version: Number(r.valid_from),
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
  };
}

/** The state of a dataset inside a write. */
export interface WriteState {
  version: number;
  items: number;
  nextPosition: number;
}

/** What one write does; the repository turns it into rows under version state.version + 1. */
export interface ChangeSet {
  add: ItemDraft[];
  update: { draft: ItemDraft; old: ItemRow }[];
  remove: ItemRow[];
  origin: VersionOrigin;
  author: string | null;
}

export class DatasetRepo {
  private readonly k: Kysely<Tables>;
  private readonly pg: boolean;

  constructor(db: Db) {
    this.k = db.kysely.withTables<Tables>() as unknown as Kysely<Tables>;
    this.pg = db.dialect === 'postgres';
  }

  private decode(r: DatasetsTable): Dataset {
    return {
      id: r.id,
      project_id: r.project_id,
      name: r.name,
      description: r.description,
      metadata: fromJson(this.pg ? 'postgres' : 'sqlite', r.metadata),
      version: Number(r.version),
      items: Number(r.items),
      created_at: Number(r.created_at),
      updated_at: Number(r.updated_at),
    };
  }

  /** Creates the dataset with its version 0; false when the name is taken in the project. */
  async create(dataset: Dataset): Promise<boolean> {
    const d = this.pg ? withoutNul(dataset) : dataset; // PostgreSQL text cannot hold U+0000
    return this.k.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('datasets')
        .values({ ...d, metadata: toJson(d.metadata), next_position: 1 })
        .onConflict((oc) => oc.columns(['project_id', 'name']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) return false;
      await trx
        .insertInto('dataset_versions')
        .values({ dataset_id: d.id, version: 0, origin: 'create', author: null, added: 0, updated: 0, removed: 0, items: 0, created_at: d.created_at })
        .execute();
      return true;
    });
  }

  async find(projectId: string, ref: string): Promise<Dataset | null> {
    const byName = await this.k.selectFrom('datasets').selectAll().where('project_id', '=', projectId).where('name', '=', ref).executeTakeFirst();
    const r = byName ?? (await this.k.selectFrom('datasets').selectAll().where('project_id', '=', projectId).where('id', '=', ref).executeTakeFirst());
    return r ? this.decode(r) : null;
  }

  /** By name, after `afterName`. */
  async list(projectId: string, limit: number, afterName?: string): Promise<Dataset[]> {
    let q = this.k.selectFrom('datasets').selectAll().where('project_id', '=', projectId);
    if (afterName !== undefined) q = q.where('name', '>', afterName);
    const rows = await q.orderBy('name').limit(limit).execute();
    return rows.map((r) => this.decode(r));
  }

  async delete(id: string): Promise<void> {
    await this.k.transaction().execute(async (trx) => {
      await trx.deleteFrom('dataset_items').where('dataset_id', '=', id).execute();
      await trx.deleteFrom('dataset_versions').where('dataset_id', '=', id).execute();
      await trx.deleteFrom('datasets').where('id', '=', id).execute();
    });
  }

  async versions(datasetId: string): Promise<DatasetVersion[]> {
    const rows = await this.k.selectFrom('dataset_versions').selectAll().where('dataset_id', '=', datasetId).orderBy('version').execute();
    return rows.map((r) => ({
      version: Number(r.version),
      origin: r.origin as VersionOrigin,
      author: r.author,
      added: Number(r.added),
      updated: Number(r.updated),
      removed: Number(r.removed),
      items: Number(r.items),
      created_at: Number(r.created_at),
    }));
  }

  /** The items of version `version`, in position order, after position `after`. */
  async itemsAt(datasetId: string, version: number, opts: { after?: number; limit?: number } = {}): Promise<{ item: DatasetItem; position: number }[]> {
    let q = this.k
      .selectFrom('dataset_items')
      .selectAll()
      .where('dataset_id', '=', datasetId)
      .where('valid_from', '<=', version)
      .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', version)]));
    if (opts.after !== undefined) q = q.where('position', '>', opts.after);
    q = q.orderBy('position');
    if (opts.limit !== undefined) q = q.limit(opts.limit);
    const rows = await q.execute();
    return rows.map((r) => ({ item: decodeItem(r), position: Number(r.position) }));
  }

  /** One item as it is in version `version`. */
  async itemAt(datasetId: string, id: string, version: number): Promise<DatasetItem | null> {
    const r = await this.k
      .selectFrom('dataset_items')
      .selectAll()
      .where('dataset_id', '=', datasetId)
      .where('id', '=', id)
      .where('valid_from', '<=', version)
      .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', version)]))
      .executeTakeFirst();
    return r ? decodeItem(r) : null;
  }

  /**
   * One write: `plan` reads the current state (rows by id, or all) inside the transaction and
   * returns the changes; nothing changed → no version. Returns the version after the write.
   */
  async write(datasetId: string, plan: (tx: WriteReader) => Promise<ChangeSet>): Promise<{ version: number; changed: boolean } | null> {
    return this.k.transaction().execute(async (trx) => {
      // First statement a write: takes the dataset's lock before anything is read.
      const locked = await trx
        .updateTable('datasets')
        .set((eb) => ({ version: eb.ref('version') }))
        .where('id', '=', datasetId)
        .returning(['version', 'items', 'next_position'])
        .executeTakeFirst();
      if (!locked) return null;
      const state: WriteState = { version: Number(locked.version), items: Number(locked.items), nextPosition: Number(locked.next_position) };
      const changes = await plan(new WriteReader(trx, datasetId, state));
      const { add, update, remove } = changes;
      if (add.length + update.length + remove.length === 0) return { version: state.version, changed: false };
      const v = state.version + 1;
      const now = Date.now();
      const closing = [...update.map((u) => u.old.id), ...remove.map((r) => r.id)];
      for (const ids of chunks(closing)) {
        await trx.updateTable('dataset_items').set({ valid_to: v }).where('dataset_id', '=', datasetId).where('valid_to', 'is', null).where('id', 'in', ids).execute();
      }
      let position = state.nextPosition;
      const rows: ItemRow[] = [
        ...update.map((u) => encodeRow(datasetId, u.draft, v, Number(u.old.position), Number(u.old.created_at), now)),
        ...add.map((d) => encodeRow(datasetId, d, v, position++, now, now)),
      ];
      for (const part of chunks(rows, 200)) await trx.insertInto('dataset_items').values(part).execute();
      const items = state.items + add.length - remove.length;
      await trx
        .insertInto('dataset_versions')
        .values({ dataset_id: datasetId, version: v, origin: changes.origin, author: changes.author, added: add.length, updated: update.length, removed: remove.length, items, created_at: now })
        .execute();
      await trx.updateTable('datasets').set({ version: v, items, next_position: position, updated_at: now }).where('id', '=', datasetId).execute();
      return { version: v, changed: true };
    });
  }
}

function encodeRow(datasetId: string, d: ItemDraft, version: number, position: number, createdAt: number, now: number): ItemRow {
  return {
    dataset_id: datasetId,
    id: d.id as string,
    valid_from: version,
    valid_to: null,
    position,
    input: JSON.stringify(d.input),
    expected: d.expected === null || d.expected === undefined ? null : JSON.stringify(d.expected),
    assert: d.assert?.length ? JSON.stringify(d.assert) : null,
    metadata: d.metadata ? JSON.stringify(d.metadata) : null,
    source: d.source ? JSON.stringify(d.source) : null,
    created_at: createdAt,
    updated_at: now,
  };
}

/** Reads of the current items inside a write. */
export class WriteReader {
  constructor(
    private readonly trx: Tx,
    private readonly datasetId: string,
    readonly state: WriteState,
  ) {}

  /** The current rows with these ids. */
  async byIds(ids: readonly string[]): Promise<Map<string, ItemRow>> {
    const out = new Map<string, ItemRow>();
    for (const part of chunks([...new Set(ids)])) {
      const rows = await this.trx.selectFrom('dataset_items').selectAll().where('dataset_id', '=', this.datasetId).where('valid_to', 'is', null).where('id', 'in', part).execute();
      for (const r of rows) out.set(r.id, r);
    }
    return out;
  }

  /** Every current row, in position order. */
  async all(): Promise<ItemRow[]> {
    return this.trx.selectFrom('dataset_items').selectAll().where('dataset_id', '=', this.datasetId).where('valid_to', 'is', null).orderBy('position').execute();
  }
}
