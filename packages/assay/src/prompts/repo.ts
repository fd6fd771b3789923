/**
 * The prompt tables (migration 007_prompts.ts) on both dialects, through Kysely. Every write runs in
 * one transaction that first locks the prompt's row (PostgreSQL queues concurrent writers of one
 * prompt there; SQLite has one writer anyway) and ends by moving the registry's generation, which
 * the transaction returns so the caller can tell whether anyone else wrote in between.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { badRequest, notFound } from '../errors.js';
import type { Db } from '../store/db.js';
import { fromJson, toJson, withoutNul } from '../store/json.js';
import { labelsOf, type NewVersion, type PromptBody, type PromptHead, type PromptType, type VersionRecord } from './types.js';

interface PromptsTable {
  project_id: string;
  name: string;
  type: string;
  tags: unknown;
  latest_version: number;
  created_at: number;
  updated_at: number;
}

interface PromptVersionsTable {
  project_id: string;
  name: string;
  version: number;
  type: string;
  prompt: unknown;
  config: unknown;
  commit_message: string | null;
  created_by: string | null;
  created_at: number;
}

interface PromptLabelsTable {
  project_id: string;
  name: string;
  label: string;
  version: number;
  updated_by: string | null;
  updated_at: number;
}

type Tables = {
  prompts: PromptsTable;
  prompt_versions: PromptVersionsTable;
  prompt_labels: PromptLabelsTable;
  prompts_state: { id: number; generation: number };
};

type Tx = Transaction<Tables>;

/** The newest versions and the labelled ones of some prompts, with their heads. */
export interface HeadsSnapshot {
  heads: PromptHead[];
  versions: VersionRecord[];
}

export interface WriteResult {
  head: PromptHead;
  /** The registry generation this write produced. */
  generation: number;
}

export interface VersionMeta {
  version: number;
  commit_message: string | null;
  created_by: string | null;
  created_at: number;
  labels: string[];
}

export class PromptRepo {
  private readonly k: Kysely<Tables>;
  private readonly pg: boolean;

  constructor(private readonly db: Db) {
    this.k = db.kysely.withTables<Tables>() as unknown as Kysely<Tables>;
    this.pg = db.dialect === 'postgres';
  }

  /** The registry's generation: moves on every write. One primary-key read. */
  async generation(): Promise<number> {
    const r = await this.k.selectFrom('prompts_state').select('generation').where('id', '=', 1).executeTakeFirst();
    return Number(r?.generation ?? 0);
  }

  /** Heads and their pinned versions (newest + labelled): all prompts, or one. */
  async loadHeads(filter?: { projectId: string; name: string }): Promise<HeadsSnapshot & { generation: number }> {
    const generation = await this.generation(); // read first: what follows is at least this new
    let hq = this.k.selectFrom('prompts').selectAll();
    let lq = this.k.selectFrom('prompt_labels').select(['project_id', 'name', 'label', 'version']);
    if (filter) {
      hq = hq.where('project_id', '=', filter.projectId).where('name', '=', filter.name);
      lq = lq.where('project_id', '=', filter.projectId).where('name', '=', filter.name);
    }
    const [rows, labels] = await Promise.all([hq.execute(), lq.execute()]);
    const heads = new Map<string, PromptHead>();
    for (const r of rows) heads.set(`${r.project_id}\u0000${r.name}`, this.head(r, {}));
    for (const l of labels) {
      const h = heads.get(`${l.project_id}\u0000${l.name}`);
      if (h) h.labels[l.label] = Number(l.version);
    }
    const pinned = sql<boolean>`(v.version = p.latest_version or exists (select 1 from prompt_labels l where l.project_id = v.project_id and l.name = v.name and l.version = v.version))`;
    let vq = this.k
      .selectFrom('prompt_versions as v')
      .innerJoin('prompts as p', (j) => j.onRef('p.project_id', '=', 'v.project_id').onRef('p.name', '=', 'v.name'))
      .selectAll('v')
      .where(pinned);
    if (filter) vq = vq.where('v.project_id', '=', filter.projectId).where('v.name', '=', filter.name);
    const versions = (await vq.execute()).map((r) => this.version(r));
    return { heads: [...heads.values()], versions, generation };
  }

  async getVersion(projectId: string, name: string, version: number): Promise<VersionRecord | null> {
    const r = await this.k.selectFrom('prompt_versions').selectAll().where('project_id', '=', projectId).where('name', '=', name).where('version', '=', version).executeTakeFirst();
    return r ? this.version(r) : null;
  }

  async getHead(projectId: string, name: string): Promise<PromptHead | null> {
    const { heads } = await this.loadHeadsOnly(projectId, name);
    return heads[0] ?? null;
  }

  /** Version metadata (no bodies), newest first; `before` is a version number cursor. */
  async listVersions(projectId: string, name: string, limit: number, before?: number): Promise<{ data: VersionMeta[]; next: number | null }> {
    const head = await this.getHead(projectId, name);
    if (!head) return { data: [], next: null };
    let q = this.k
      .selectFrom('prompt_versions')
      .select(['version', 'commit_message', 'created_by', 'created_at'])
      .where('project_id', '=', projectId)
      .where('name', '=', name)
      .orderBy('version', 'desc')
      .limit(limit + 1);
    if (before !== undefined) q = q.where('version', '<', before);
    const rows = await q.execute();
    const page = rows.slice(0, limit).map((r) => ({
      version: Number(r.version),
      commit_message: r.commit_message,
      created_by: r.created_by,
      created_at: Number(r.created_at),
      labels: labelsOf(head, Number(r.version)),
    }));
    return { data: page, next: rows.length > limit ? page[page.length - 1].version : null };
  }

  /** Adds the next version (and its labels) in one transaction. */
  async createVersion(projectId: string, v: NewVersion, actor: string | null, now: number): Promise<WriteResult & { record: VersionRecord }> {
    return this.k.transaction().execute(async (trx) => {
      const row = await this.lockPrompt(trx, projectId, v.name, now, { type: v.type, tags: v.tags ?? [] });
      if (row.latest_version > 0 && row.type !== v.type) {
        throw badRequest(
          `prompt "${v.name}" is a ${row.type} prompt: a new version must be ${row.type === 'text' ? 'a string' : 'an array of messages'} too (or use another name)`,
          'prompt',
          'prompt_type_mismatch',
        );
      }
      const version = Number(row.latest_version) + 1;
      const record: VersionRecord = {
        projectId, name: v.name, version, type: v.type, prompt: v.prompt, config: v.config,
        commitMessage: v.commitMessage, createdBy: actor, createdAt: now,
      };
      await trx
        .insertInto('prompt_versions')
        .values({
          project_id: projectId, name: v.name, version, type: v.type, prompt: this.json(v.prompt), config: this.json(v.config),
          commit_message: this.text(v.commitMessage), created_by: actor, created_at: now,
        })
        .execute();
      await trx
        .updateTable('prompts')
        .set({ latest_version: version, updated_at: now, ...(v.tags ? { tags: this.json(v.tags) } : {}) })
        .where('project_id', '=', projectId)
        .where('name', '=', v.name)
        .execute();
      await this.upsertLabels(trx, projectId, v.name, version, v.labels, actor, now);
      const generation = await this.bump(trx);
      const head = await this.headIn(trx, projectId, v.name);
      return { head, generation, record };
    });
  }

  /** Points labels at a version (moving them from wherever they were). */
  async setLabels(projectId: string, name: string, version: number, labels: string[], actor: string | null, now: number): Promise<WriteResult> {
    return this.k.transaction().execute(async (trx) => {
      const row = await this.lockExisting(trx, projectId, name, now);
      if (version < 1 || version > row.latest_version) {
        throw notFound(`prompt "${name}" has no version ${version} (its versions are 1–${row.latest_version})`, 'prompt_version_not_found', 'version');
      }
      await this.upsertLabels(trx, projectId, name, version, labels, actor, now);
      return { head: await this.headIn(trx, projectId, name), generation: await this.bump(trx) };
    });
  }

  /** Removes a label; 404 when the prompt does not have it. */
  async removeLabel(projectId: string, name: string, label: string, now: number): Promise<WriteResult> {
    return this.k.transaction().execute(async (trx) => {
      await this.lockExisting(trx, projectId, name, now);
      const r = await trx.deleteFrom('prompt_labels').where('project_id', '=', projectId).where('name', '=', name).where('label', '=', label).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) throw notFound(`prompt "${name}" has no label "${label}"`, 'prompt_label_not_found', 'label');
      return { head: await this.headIn(trx, projectId, name), generation: await this.bump(trx) };
    });
  }

  // ---- internals ---------------------------------------------------------------------------------

  /** Creates the prompt's row if needed and locks it (the update takes the row lock on PostgreSQL). */
  private async lockPrompt(trx: Tx, projectId: string, name: string, now: number, init: { type: PromptType; tags: string[] }): Promise<PromptsTable> {
    const { rows } = await sql<PromptsTable>`
      insert into prompts (project_id, name, type, tags, latest_version, created_at, updated_at)
      values (${projectId}, ${name}, ${init.type}, ${this.json(init.tags)}, 0, ${now}, ${now})
      on conflict (project_id, name) do update set updated_at = excluded.updated_at
      returning project_id, name, type, tags, latest_version, created_at, updated_at`.execute(trx);
    return { ...rows[0], latest_version: Number(rows[0].latest_version) };
  }

  private async lockExisting(trx: Tx, projectId: string, name: string, now: number): Promise<PromptsTable> {
    const row = await trx
      .updateTable('prompts')
      .set({ updated_at: now })
      .where('project_id', '=', projectId)
      .where('name', '=', name)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound(`no prompt named "${name}"`, 'prompt_not_found', 'name');
    return { ...row, latest_version: Number(row.latest_version) };
  }

  private async upsertLabels(trx: Tx, projectId: string, name: string, version: number, labels: string[], actor: string | null, now: number): Promise<void> {
    if (!labels.length) return;
    await trx
      .insertInto('prompt_labels')
      .values(labels.map((label) => ({ project_id: projectId, name, label, version, updated_by: actor, updated_at: now })))
      .onConflict((oc) =>
        oc.columns(['project_id', 'name', 'label']).doUpdateSet({
          version: (eb) => eb.ref('excluded.version'),
          updated_by: (eb) => eb.ref('excluded.updated_by'),
          updated_at: (eb) => eb.ref('excluded.updated_at'),
        }),
      )
      .execute();
  }

  private async bump(trx: Tx): Promise<number> {
    const r = await trx
      .updateTable('prompts_state')
      .set({ generation: sql`generation + 1` })
      .where('id', '=', 1)
      .returning('generation')
      .executeTakeFirstOrThrow();
    return Number(r.generation);
  }

  private async headIn(trx: Tx | Kysely<Tables>, projectId: string, name: string): Promise<PromptHead> {
    const row = await trx.selectFrom('prompts').selectAll().where('project_id', '=', projectId).where('name', '=', name).executeTakeFirstOrThrow();
    const labels = await trx.selectFrom('prompt_labels').select(['label', 'version']).where('project_id', '=', projectId).where('name', '=', name).execute();
    return this.head(row, Object.fromEntries(labels.map((l) => [l.label, Number(l.version)])));
  }

  private async loadHeadsOnly(projectId: string, name: string): Promise<{ heads: PromptHead[] }> {
    const row = await this.k.selectFrom('prompts').select('name').where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
    return { heads: row ? [await this.headIn(this.k, projectId, name)] : [] };
  }

  private head(r: PromptsTable, labels: Record<string, number>): PromptHead {
    return {
      projectId: r.project_id,
      name: r.name,
      type: r.type as PromptType,
      tags: fromJson<string[]>(this.db.dialect, r.tags) ?? [],
      latest: Number(r.latest_version),
      labels,
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
    };
  }

  private version(r: PromptVersionsTable): VersionRecord {
    return {
      projectId: r.project_id,
      name: r.name,
      version: Number(r.version),
      type: r.type as PromptType,
      prompt: fromJson<PromptBody>(this.db.dialect, r.prompt) ?? '',
      config: fromJson<Record<string, unknown>>(this.db.dialect, r.config) ?? {},
      commitMessage: r.commit_message,
      createdBy: r.created_by,
      createdAt: Number(r.created_at),
    };
  }

  private json(v: unknown): string | null {
    return toJson(this.pg ? withoutNul(v) : v);
  }

  private text(v: string | null): string | null {
    return v !== null && this.pg ? withoutNul(v) : v;
  }
}
