/**
 * The prompt registry service: writes go to the store and then into this instance's memory at once;
 * reads on the request path (`resolveCached`, `resolve`, `render`) are served from memory.
 *
 * Several instances on one database: every write moves a generation counter (prompts_state). Each
 * instance reads it every `pollMs` (default 2 s) and reloads the registry when it moved, so a change
 * made on another instance is served here within pollMs plus one reload. A write through this
 * instance is visible here before its HTTP answer. Reloads and local refreshes run one at a time, so
 * an older snapshot never replaces a newer one.
 */
import type { Db } from '../store/db.js';
import { PromptCache, type CachedPrompt } from './cache.js';
import { diffVersions, type PromptDiff } from './diff.js';
import { renderCompiled, type CompiledVersion, type RenderArgs, type RenderedPrompt } from './render.js';
import { PromptRepo, type VersionMeta, type WriteResult } from './repo.js';
import { labelsOf, type NewVersion, type PromptRef, type PromptSummary, type PromptVersionView } from './types.js';

export const DEFAULT_PROJECT = 'default';

export interface PromptServiceOptions {
  db: Db;
  /** How often to check whether another instance changed the registry; 0 turns polling off. Default 2000. */
  pollMs?: number;
  /** How many unlabelled old versions to keep compiled in memory. Default 1000. */
  lruSize?: number;
  now?: () => number;
  log?: (msg: string) => void;
}

export interface ListFilter {
  name?: string;
  label?: string;
  tag?: string;
}

export class PromptService {
  readonly repo: PromptRepo;
  private readonly cache: PromptCache;
  private readonly pollMs: number;
  private readonly now: () => number;
  private readonly log: (msg: string) => void;
  /** The store generation the memory reflects (-1: not loaded). */
  private generation = -1;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private pollFailing = false;
  private readonly loading = new Map<string, Promise<CompiledVersion>>();

  constructor(opts: PromptServiceOptions) {
    this.repo = new PromptRepo(opts.db);
    this.cache = new PromptCache(opts.lruSize ?? 1000);
    this.pollMs = opts.pollMs ?? 2000;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => undefined);
  }

  /** Loads the registry into memory and starts watching the generation. */
  async start(): Promise<void> {
    await this.serial(() => this.reloadAll());
    if (this.pollMs > 0 && !this.timer) {
      this.timer = setInterval(() => void this.poll(), this.pollMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reloads when another instance wrote since the last load; true when it reloaded. */
  async refresh(): Promise<boolean> {
    const g = await this.repo.generation();
    if (g === this.generation) return false;
    return this.serial(async () => {
      if ((await this.repo.generation()) === this.generation) return false;
      await this.reloadAll();
      return true;
    });
  }

  /** Number of prompts in memory. */
  get size(): number {
    return this.cache.size;
  }

  // ---- the request path --------------------------------------------------------------------------

  /**
   * The version a reference names, from memory: explicit version > label > `production`. Throws 404
   * (prompt_not_found, prompt_version_not_found, prompt_label_not_found). Null: an old unlabelled
   * version not in memory yet; `resolve` loads it.
   */
  resolveCached(ref: PromptRef, projectId = DEFAULT_PROJECT): CompiledVersion | null {
    return this.cache.lookup(projectId, ref);
  }

  async resolve(ref: PromptRef, projectId = DEFAULT_PROJECT): Promise<CompiledVersion> {
    const hit = this.cache.lookup(projectId, ref);
    if (hit) return hit;
    const version = ref.version!; // labels always point at pinned versions
    const key = `${projectId}\u0000${ref.name}\u0000${version}`;
    let p = this.loading.get(key);
    if (!p) {
      p = (async () => {
        const r = await this.repo.getVersion(projectId, ref.name, version);
        if (!r) throw new Error(`prompt "${ref.name}" version ${version} is missing from the store`);
        return this.cache.remember(r);
      })().finally(() => this.loading.delete(key));
      this.loading.set(key, p);
    }
    return p;
  }

  /** Resolves and renders: the messages a call starts with (400 naming missing variables). */
  async render(ref: PromptRef, args: RenderArgs = {}, projectId = DEFAULT_PROJECT): Promise<RenderedPrompt> {
    const v = this.cache.lookup(projectId, ref) ?? (await this.resolve(ref, projectId));
    return renderCompiled(v, args);
  }

  // ---- writes ------------------------------------------------------------------------------------

  /** Adds a version (1 for a new prompt), with labels; returns it as the API shows it. */
  async create(input: NewVersion, actor: { projectId?: string; keyId: string | null }): Promise<PromptVersionView> {
    const projectId = actor.projectId ?? DEFAULT_PROJECT;
    const w = await this.repo.createVersion(projectId, input, actor.keyId, this.now());
    await this.applied(w);
    return this.view((await this.resolve({ name: input.name, version: w.record.version }, projectId)), projectId);
  }

  /** Points labels at a version; returns the prompt's summary. */
  async setLabels(projectId: string, name: string, version: number, labels: string[], keyId: string | null): Promise<PromptSummary> {
    const w = await this.repo.setLabels(projectId, name, version, [...new Set(labels)], keyId, this.now());
    await this.applied(w);
    return this.summary(projectId, name);
  }

  async removeLabel(projectId: string, name: string, label: string): Promise<PromptSummary> {
    const w = await this.repo.removeLabel(projectId, name, label, this.now());
    await this.applied(w);
    return this.summary(projectId, name);
  }

  // ---- reads for the APIs ------------------------------------------------------------------------

  /** Prompts by name (from memory), optionally only those with a name, label or tag. */
  list(projectId: string, filter: ListFilter = {}): PromptSummary[] {
    return this.cache
      .list(projectId)
      .filter((p) => (filter.name === undefined || p.head.name === filter.name) && (filter.label === undefined || p.labels.has(filter.label)) && (filter.tag === undefined || p.head.tags.includes(filter.tag)))
      .map(summaryOf);
  }

  /** One prompt's summary; 404 when there is none. */
  summary(projectId: string, name: string): PromptSummary {
    const p = this.cache.get(projectId, name);
    if (!p) this.cache.lookup(projectId, { name }); // throws the 404 with suggestions
    return summaryOf(p!);
  }

  /** The cached prompt (head, labels), or undefined. */
  cached(projectId: string, name: string): CachedPrompt | undefined {
    return this.cache.get(projectId, name);
  }

  /** Version metadata, newest first (from the store). */
  async versions(projectId: string, name: string, limit: number, before?: number): Promise<{ data: VersionMeta[]; next: number | null }> {
    this.summary(projectId, name);
    return this.repo.listVersions(projectId, name, limit, before);
  }

  async get(ref: PromptRef, projectId = DEFAULT_PROJECT): Promise<PromptVersionView> {
    return this.view(await this.resolve(ref, projectId), projectId);
  }

  async diff(projectId: string, name: string, from: number, to: number): Promise<PromptDiff> {
    const [a, b] = await Promise.all([this.resolve({ name, version: from }, projectId), this.resolve({ name, version: to }, projectId)]);
    return diffVersions(a.record, b.record);
  }

  /** A compiled version as the API shows it (labels and tags from memory). */
  view(v: CompiledVersion, projectId = v.record.projectId): PromptVersionView {
    const r = v.record;
    const p = this.cache.get(projectId, r.name);
    return {
      name: r.name,
      version: r.version,
      type: r.type,
      prompt: r.prompt,
      config: r.config,
      labels: p ? labelsOf(p.head, r.version) : [],
      tags: p?.head.tags ?? [],
      variables: [...v.variables],
      commit_message: r.commitMessage,
      created_by: r.createdBy,
      created_at: r.createdAt,
    };
  }

  // ---- internals ---------------------------------------------------------------------------------

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.queue.then(f, f);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async reloadAll(): Promise<void> {
    const snap = await this.repo.loadHeads();
    this.cache.replaceAll(snap.heads, snap.versions);
    this.generation = snap.generation;
  }

  /** After a write through this instance: that prompt is refreshed now; others wait for the poll. */
  private applied(w: WriteResult): Promise<void> {
    return this.serial(async () => {
      const snap = await this.repo.loadHeads({ projectId: w.head.projectId, name: w.head.name });
      const head = snap.heads[0] ?? w.head;
      this.cache.replaceOne(head, snap.versions);
      // Consecutive with what memory holds: nobody else wrote in between, so memory is current.
      if (w.generation === this.generation + 1) this.generation = w.generation;
    });
  }

  private async poll(): Promise<void> {
    try {
      await this.refresh();
      if (this.pollFailing) this.log('prompts: registry reload works again');
      this.pollFailing = false;
    } catch (err) {
      if (!this.pollFailing) this.log(`prompts: cannot check the registry for changes (serving what is in memory): ${(err as Error).message}`);
      this.pollFailing = true;
    }
  }
}

function summaryOf(p: CachedPrompt): PromptSummary {
  const h = p.head;
  return { name: h.name, type: h.type, tags: h.tags, latest_version: h.latest, labels: Object.fromEntries(p.labels), created_at: h.createdAt, updated_at: h.updatedAt };
}
