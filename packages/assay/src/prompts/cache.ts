/**
 * The registry in memory, which is what requests read: for every prompt its head (type, tags, newest
 * version, labels) and its pinned versions (the newest and every labelled one) compiled for
 * rendering; other versions in a bounded LRU (versions never change, so an LRU entry is never stale).
 * Lookups are synchronous Map reads; `null` from `lookup` means "an old, unpinned version that is
 * not in the LRU": the service loads it once.
 */
import { notFound } from '../errors.js';
import { compileVersion, type CompiledVersion } from './render.js';
import { LATEST, PRODUCTION, labelsOf, type PromptHead, type PromptRef, type VersionRecord } from './types.js';

export interface CachedPrompt {
  readonly head: PromptHead;
  /** Label → version, `latest` included. */
  readonly labels: ReadonlyMap<string, number>;
  readonly pinned: ReadonlyMap<number, CompiledVersion>;
}

export const cacheKey = (projectId: string, name: string): string => `${projectId}\u0000${name}`;

const describeLabels = (p: CachedPrompt) =>
  [...p.labels].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).map(([l, v]) => `${l} (v${v})`).join(', ');

export class PromptCache {
  private prompts = new Map<string, CachedPrompt>();
  private readonly lru = new Map<string, CompiledVersion>();

  constructor(private readonly lruSize = 1000) {}

  get size(): number {
    return this.prompts.size;
  }

  get(projectId: string, name: string): CachedPrompt | undefined {
    return this.prompts.get(cacheKey(projectId, name));
  }

  /** Every cached prompt of a project, by name. */
  list(projectId: string): CachedPrompt[] {
    const out: CachedPrompt[] = [];
    for (const p of this.prompts.values()) if (p.head.projectId === projectId) out.push(p);
    return out.sort((a, b) => (a.head.name < b.head.name ? -1 : a.head.name > b.head.name ? 1 : 0));
  }

  /**
   * The version a reference names: explicit version, else its label, else `production`. Throws 404
   * (codes prompt_not_found, prompt_version_not_found, prompt_label_not_found) with what exists.
   * Returns null when the version exists but must be loaded.
   */
  lookup(projectId: string, ref: PromptRef): CompiledVersion | null {
    const p = this.prompts.get(cacheKey(projectId, ref.name));
    if (!p) throw notFound(`no prompt named "${ref.name}"${this.similar(projectId, ref.name)}`, 'prompt_not_found', 'name');
    let version: number;
    if (ref.version !== undefined) {
      version = ref.version;
      if (!Number.isInteger(version) || version < 1 || version > p.head.latest) {
        throw notFound(`prompt "${ref.name}" has no version ${version}: its versions are 1–${p.head.latest}`, 'prompt_version_not_found', 'version');
      }
    } else {
      const label = ref.label ?? PRODUCTION;
      const v = p.labels.get(label);
      if (v === undefined) {
        const hint = ref.label === undefined ? ': name a label or a version, or give a version the production label' : '';
        throw notFound(`prompt "${ref.name}" has no ${label} label${hint} (its labels: ${describeLabels(p)})`, 'prompt_label_not_found', 'label');
      }
      version = v;
    }
    return p.pinned.get(version) ?? this.fromLru(cacheKey(projectId, ref.name), version);
  }

  /** Puts a loaded (unpinned) version in the LRU. */
  remember(record: VersionRecord): CompiledVersion {
    const compiled = compileVersion(record);
    const key = `${cacheKey(record.projectId, record.name)}\u0000${record.version}`;
    this.lru.delete(key);
    this.lru.set(key, compiled);
    if (this.lru.size > this.lruSize) this.lru.delete(this.lru.keys().next().value!);
    return compiled;
  }

  /** Labels of a version of a cached prompt (`latest` included). */
  labelsOf(projectId: string, name: string, version: number): string[] {
    const p = this.prompts.get(cacheKey(projectId, name));
    return p ? labelsOf(p.head, version) : [];
  }

  /** Replaces everything (a full reload); compiled versions still valid are reused. */
  replaceAll(heads: readonly PromptHead[], versions: readonly VersionRecord[]): void {
    const next = new Map<string, CachedPrompt>();
    const byPrompt = group(versions);
    for (const h of heads) {
      const key = cacheKey(h.projectId, h.name);
      next.set(key, this.build(h, byPrompt.get(key) ?? [], this.prompts.get(key)));
    }
    this.prompts = next;
  }

  /** Replaces one prompt (after a write through this instance). */
  replaceOne(head: PromptHead, versions: readonly VersionRecord[]): void {
    const key = cacheKey(head.projectId, head.name);
    this.prompts.set(key, this.build(head, versions, this.prompts.get(key)));
  }

  private build(head: PromptHead, versions: readonly VersionRecord[], old: CachedPrompt | undefined): CachedPrompt {
    const labels = new Map<string, number>(Object.entries(head.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    if (head.latest > 0) labels.set(LATEST, head.latest);
    const pinned = new Map<number, CompiledVersion>();
    for (const r of versions) pinned.set(r.version, old?.pinned.get(r.version) ?? compileVersion(r));
    return { head, labels, pinned };
  }

  private fromLru(promptKey: string, version: number): CompiledVersion | null {
    const key = `${promptKey}\u0000${version}`;
    const hit = this.lru.get(key);
    if (!hit) return null;
    this.lru.delete(key); // most recently used goes last
    this.lru.set(key, hit);
    return hit;
  }

  private similar(projectId: string, name: string): string {
    const lower = name.toLowerCase();
    const close = this.list(projectId)
      .map((p) => p.head.name)
      .filter((n) => n.toLowerCase() === lower || n.toLowerCase().includes(lower) || lower.includes(n.toLowerCase()))
      .slice(0, 5);
    return close.length ? ` (did you mean ${close.map((n) => `"${n}"`).join(', ')}?)` : '';
  }
}

function group(versions: readonly VersionRecord[]): Map<string, VersionRecord[]> {
  const out = new Map<string, VersionRecord[]>();
  for (const v of versions) {
    const key = cacheKey(v.projectId, v.name);
    const list = out.get(key);
    if (list) list.push(v);
    else out.set(key, [v]);
  }
  return out;
}
