/**
 * The annotation tables (migration 011_annotation.ts) on both dialects: queues, item snapshots
 * (deduplicated by source key), leases, annotations (one per item and annotator) and adjudications.
 */
import { sql, type Kysely } from 'kysely';
import type { Db, DialectName } from '../../store/db.js';
import { fromJson, toJson, withoutNul } from '../../store/json.js';
import type { Adjudication, Annotation, ItemContent, ItemKind, Queue, QueueItem } from './types.js';

type QueuesTable = {
  id: string; project_id: string; name: string; description: string | null; questions: unknown; overlap: number;
  annotators: unknown; sampling: unknown; created_by: string | null; created_at: number; updated_at: number;
};
type ItemsTable = { id: string; queue_id: string; source_key: string; kind: string; content: unknown; trace_id: string | null; done: number; created_at: number };
type LeasesTable = { item_id: string; annotator: string; queue_id: string; shown: unknown; leased_until: number };
type AnnotationsTable = {
  id: string; queue_id: string; item_id: string; annotator: string; annotator_name: string | null; answers: unknown; shown: unknown;
  created_at: number; updated_at: number;
};
type AdjTable = { item_id: string; question: string; queue_id: string; value: unknown; note: string | null; author: string | null; created_at: number };
type Tables = {
  annotation_queues: QueuesTable;
  annotation_items: ItemsTable;
  annotation_leases: LeasesTable;
  annotations: AnnotationsTable;
  annotation_adjudications: AdjTable;
};

export interface NewItem {
  id: string;
  source_key: string;
  kind: ItemKind;
  content: ItemContent;
  created_at: number;
}

export interface Lease {
  item_id: string;
  annotator: string;
  shown: number[] | null;
  leased_until: number;
}

export class QueueRepo {
  private readonly k: Kysely<Tables>;
  private readonly d: DialectName;

  constructor(private readonly db: Db) {
    this.k = db.kysely.withTables<Tables>() as unknown as Kysely<Tables>;
    this.d = db.dialect;
  }

  private clean<T>(v: T): T {
    return this.d === 'postgres' ? withoutNul(v) : v;
  }

  private toQueue = (r: QueuesTable): Queue => ({
    id: r.id, project_id: r.project_id, name: r.name, description: r.description,
    questions: fromJson(this.d, r.questions) ?? [], overlap: Number(r.overlap),
    annotators: fromJson(this.d, r.annotators), sampling: fromJson(this.d, r.sampling),
    created_by: r.created_by, created_at: Number(r.created_at), updated_at: Number(r.updated_at),
  });

  private toItem = (r: ItemsTable): QueueItem => ({
    id: r.id, queue_id: r.queue_id, kind: r.kind as ItemKind, content: fromJson<ItemContent>(this.d, r.content) as ItemContent,
    trace_id: r.trace_id, done: Number(r.done), created_at: Number(r.created_at),
  });

  private toAnnotation = (r: AnnotationsTable): Annotation => ({
    id: r.id, queue_id: r.queue_id, item_id: r.item_id, annotator: r.annotator, annotator_name: r.annotator_name,
    answers: fromJson(this.d, r.answers) ?? {}, shown: fromJson(this.d, r.shown), created_at: Number(r.created_at), updated_at: Number(r.updated_at),
  });

  /** false when the name is taken in the project. */
  async createQueue(q: Queue): Promise<boolean> {
    const r = await this.k
      .insertInto('annotation_queues')
      .values(this.clean({ ...q, questions: toJson(q.questions), annotators: toJson(q.annotators), sampling: toJson(q.sampling) }) as QueuesTable)
      .onConflict((oc) => oc.columns(['project_id', 'name']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async updateQueue(q: Queue): Promise<void> {
    await this.k
      .updateTable('annotation_queues')
      .set(this.clean({
        name: q.name, description: q.description, questions: toJson(q.questions), overlap: q.overlap,
        annotators: toJson(q.annotators), sampling: toJson(q.sampling), updated_at: q.updated_at,
      }))
      .where('id', '=', q.id)
      .execute();
  }

  async getQueue(projectId: string, ref: string): Promise<Queue | null> {
    const r = await this.k
      .selectFrom('annotation_queues')
      .selectAll()
      .where('project_id', '=', projectId)
      .where((eb) => eb.or([eb('id', '=', ref), eb('name', '=', ref)]))
      .executeTakeFirst();
    return r ? this.toQueue(r) : null;
  }

  async listQueues(projectId?: string): Promise<Queue[]> {
    let q = this.k.selectFrom('annotation_queues').selectAll();
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    return (await q.orderBy('created_at', 'desc').execute()).map(this.toQueue);
  }

  async deleteQueue(id: string): Promise<void> {
    const items = this.k.selectFrom('annotation_items').select('id').where('queue_id', '=', id);
    await this.k.deleteFrom('annotation_adjudications').where('queue_id', '=', id).execute();
    await this.k.deleteFrom('annotations').where('queue_id', '=', id).execute();
    await this.k.deleteFrom('annotation_leases').where('item_id', 'in', items).execute();
    await this.k.deleteFrom('annotation_items').where('queue_id', '=', id).execute();
    await this.k.deleteFrom('annotation_queues').where('id', '=', id).execute();
  }

  /** Inserts the items whose source key is new to the queue; returns how many were added. */
  async addItems(queueId: string, items: readonly NewItem[]): Promise<number> {
    let added = 0;
    for (let i = 0; i < items.length; i += 200) {
      const r = await this.k
        .insertInto('annotation_items')
        .values(items.slice(i, i + 200).map((it) => this.clean({
          id: it.id, queue_id: queueId, source_key: it.source_key, kind: it.kind, content: toJson(it.content),
          trace_id: it.content.trace_id, done: 0, created_at: it.created_at,
        })))
        .onConflict((oc) => oc.columns(['queue_id', 'source_key']).doNothing())
        .executeTakeFirst();
      added += Number(r.numInsertedOrUpdatedRows ?? 0);
    }
    return added;
  }

  /** Source keys already in the queue (to skip resolving them again). */
  async existingKeys(queueId: string, keys: readonly string[]): Promise<Set<string>> {
    if (!keys.length) return new Set();
    const rows = await this.k.selectFrom('annotation_items').select('source_key').where('queue_id', '=', queueId).where('source_key', 'in', [...keys]).execute();
    return new Set(rows.map((r) => r.source_key));
  }

  async getItem(queueId: string, itemId: string): Promise<QueueItem | null> {
    const r = await this.k.selectFrom('annotation_items').selectAll().where('queue_id', '=', queueId).where('id', '=', itemId).executeTakeFirst();
    return r ? this.toItem(r) : null;
  }

  async items(queueId: string, opts: { openBelow?: number; after?: { created_at: number; id: string }; limit: number }): Promise<QueueItem[]> {
    let q = this.k.selectFrom('annotation_items').selectAll().where('queue_id', '=', queueId);
    if (opts.openBelow !== undefined) q = q.where('done', '<', opts.openBelow);
    if (opts.after) {
      const a = opts.after;
      q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '>', eb.tuple(a.created_at, a.id)));
    }
    return (await q.orderBy('created_at').orderBy('id').limit(opts.limit).execute()).map(this.toItem);
  }

  async itemCounts(queueId: string, overlap: number): Promise<{ items: number; complete: number }> {
    const r = await this.k
      .selectFrom('annotation_items')
      .select([sql<number>`count(*)`.as('items'), sql<number>`sum(case when done >= ${overlap} then 1 else 0 end)`.as('complete')])
      .where('queue_id', '=', queueId)
      .executeTakeFirstOrThrow();
    return { items: Number(r.items), complete: Number(r.complete ?? 0) };
  }

  async leasesFor(itemIds: readonly string[], now: number): Promise<Lease[]> {
    if (!itemIds.length) return [];
    const rows = await this.k.selectFrom('annotation_leases').selectAll().where('item_id', 'in', [...itemIds]).where('leased_until', '>', now).execute();
    return rows.map((r) => ({ item_id: r.item_id, annotator: r.annotator, shown: fromJson(this.d, r.shown), leased_until: Number(r.leased_until) }));
  }

  async lease(queueId: string, l: Lease): Promise<void> {
    await this.k
      .insertInto('annotation_leases')
      .values({ item_id: l.item_id, annotator: l.annotator, queue_id: queueId, shown: toJson(l.shown), leased_until: l.leased_until })
      .onConflict((oc) => oc.columns(['item_id', 'annotator']).doUpdateSet({ leased_until: l.leased_until, shown: toJson(l.shown) }))
      .execute();
  }

  async releaseLease(itemId: string, annotator: string): Promise<void> {
    await this.k.deleteFrom('annotation_leases').where('item_id', '=', itemId).where('annotator', '=', annotator).execute();
  }

  /** Active leases per annotator in a queue (items handed out, not yet annotated). */
  async activeLeases(queueId: string, now: number): Promise<Map<string, number>> {
    const rows = await this.k
      .selectFrom('annotation_leases')
      .select(['annotator', sql<number>`count(*)`.as('n')])
      .where('queue_id', '=', queueId)
      .where('leased_until', '>', now)
      .groupBy('annotator')
      .execute();
    return new Map(rows.map((r) => [r.annotator, Number(r.n)]));
  }

  async doneBy(annotator: string, itemIds: readonly string[]): Promise<Set<string>> {
    if (!itemIds.length) return new Set();
    const rows = await this.k.selectFrom('annotations').select('item_id').where('annotator', '=', annotator).where('item_id', 'in', [...itemIds]).execute();
    return new Set(rows.map((r) => r.item_id));
  }

  /** Upserts the annotator's annotation and recounts the item's completed annotations. */
  async saveAnnotation(a: Annotation): Promise<Annotation> {
    const v = this.clean({ ...a, answers: toJson(a.answers), shown: toJson(a.shown) });
    await this.k
      .insertInto('annotations')
      .values(v)
      .onConflict((oc) => oc.columns(['item_id', 'annotator']).doUpdateSet({ answers: v.answers, shown: v.shown, annotator_name: v.annotator_name, updated_at: v.updated_at }))
      .execute();
    const count = this.k.selectFrom('annotations').select(sql<number>`count(*)`.as('n')).where('item_id', '=', a.item_id);
    await this.k.updateTable('annotation_items').set({ done: count }).where('id', '=', a.item_id).execute();
    const r = await this.k.selectFrom('annotations').selectAll().where('item_id', '=', a.item_id).where('annotator', '=', a.annotator).executeTakeFirstOrThrow();
    return this.toAnnotation(r);
  }

  async annotations(queueId: string, itemId?: string): Promise<Annotation[]> {
    let q = this.k.selectFrom('annotations').selectAll().where('queue_id', '=', queueId);
    if (itemId !== undefined) q = q.where('item_id', '=', itemId);
    return (await q.orderBy('item_id').orderBy('created_at').execute()).map(this.toAnnotation);
  }

  async doneCounts(queueId: string): Promise<Map<string, { done: number; name: string | null }>> {
    const rows = await this.k
      .selectFrom('annotations')
      .select(['annotator', sql<string | null>`max(annotator_name)`.as('name'), sql<number>`count(*)`.as('n')])
      .where('queue_id', '=', queueId)
      .groupBy('annotator')
      .execute();
    return new Map(rows.map((r) => [r.annotator, { done: Number(r.n), name: r.name }]));
  }

  async adjudicate(a: Adjudication): Promise<void> {
    const v = this.clean({ ...a, value: toJson(a.value) as string });
    await this.k
      .insertInto('annotation_adjudications')
      .values(v)
      .onConflict((oc) => oc.columns(['item_id', 'question']).doUpdateSet({ value: v.value, note: v.note, author: v.author, created_at: v.created_at }))
      .execute();
  }

  async adjudications(queueId: string): Promise<Adjudication[]> {
    const rows = await this.k.selectFrom('annotation_adjudications').selectAll().where('queue_id', '=', queueId).execute();
    return rows.map((r) => ({ ...r, value: fromJson(this.d, r.value), created_at: Number(r.created_at) }));
  }
}
