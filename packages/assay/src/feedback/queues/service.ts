/**
 * Annotation queues as a product (docs/annotation.md): queues with questions, items added by hand,
 * by filter, from experiments, as blind pairs or by sampling live traffic; the annotating flow
 * (next item with a 10-minute lease, answers validated and attributed to the caller's key, scalar
 * answers also written as scores with source 'annotation'), and per-annotator progress. Agreement,
 * disagreements, adjudication and promotion to a dataset live in analysis.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AssayError, badRequest, forbidden, notFound } from '../../errors.js';
import type { Db } from '../../store/db.js';
import type { Score } from '../../store/scores.js';
import { checkAnswer, shownOrder } from './answers.js';
import { QueueRepo, type NewItem } from './repo.js';
import type { Sampler, SampledCall } from './sampling.js';
import { fromComparison, fromExperiment, fromFilter, fromTrace, type Resolved, type Skipped, type SourceDeps } from './sources.js';
import type { ScoreMatch } from '../../store/scores.js';
import type { TraceFilter } from '../../store/trace-list.js';
import {
  queueInputSchema, type Annotation, type Annotator, type ItemContent, type Queue, type QueueInput, type QueueItem,
} from './types.js';

export const LEASE_MS = 10 * 60_000;
export const MAX_ADD = 5_000;

export interface QueueServiceOptions {
  db: Db;
  sources: SourceDeps;
  /** Writes annotation scores (the trace-level scores table). */
  writeScores(scores: Score[]): Promise<void>;
  sampler?: Sampler;
  log?: (msg: string) => void;
}

export type AddItemsBody =
  | { traces: string[] }
  | { observations: { trace_id: string; id: string }[] }
  | { filter: TraceFilter & { limit?: number; score?: ScoreMatch } }
  | { experiment: { id: string; variant?: string } }
  | { pairs: { experiment: string; a: string; b: string } }
  | { compare: { experiment: string; variants: string[] } };

/** What an annotator is shown: no variant names or traces for multi-output items (blind). */
export interface ItemView {
  id: string;
  kind: QueueItem['kind'];
  input: ItemContent['input'];
  output?: string | null;
  trace_id?: string | null;
  left?: string | null;
  right?: string | null;
  /** Multi-output items: outputs in the order shown, positions 1…n. */
  outputs?: { position: number; output: string | null }[];
}

const itemId = () => `qi_${randomBytes(8).toString('hex')}`;

export function viewOf(item: QueueItem, shown: number[] | null): ItemView {
  const c = item.content;
  if (item.kind === 'single' || !shown) return { id: item.id, kind: item.kind, input: c.input, output: c.outputs[0]?.output ?? null, trace_id: c.trace_id };
  const outputs = shown.map((i, p) => ({ position: p + 1, output: c.outputs[i].output }));
  const v: ItemView = { id: item.id, kind: item.kind, input: c.input, outputs };
  if (outputs.length === 2) {
    v.left = outputs[0].output;
    v.right = outputs[1].output;
  }
  return v;
}

export class QueueService {
  readonly repo: QueueRepo;

  constructor(private readonly opts: QueueServiceOptions) {
    this.repo = new QueueRepo(opts.db);
  }

  /** Loads the sampling rules and starts taking sampled calls. */
  async start(): Promise<void> {
    this.opts.sampler?.attach((batch) => this.addSampled(batch));
    await this.reloadRules();
  }

  async close(): Promise<void> {
    await this.opts.sampler?.close();
  }

  private async reloadRules(): Promise<void> {
    if (this.opts.sampler) this.opts.sampler.setRules(await this.repo.listQueues());
  }

  // ---- queues ----

  async create(projectId: string, raw: QueueInput, createdBy: string | null): Promise<Queue> {
    const input = queueInputSchema.parse(raw);
    const now = Date.now();
    const q: Queue = {
      id: `aq_${randomBytes(8).toString('hex')}`, project_id: projectId, name: input.name, description: input.description ?? null,
      questions: input.questions, overlap: input.overlap, annotators: input.annotators ?? null, sampling: input.sampling?.length ? input.sampling : null,
      created_by: createdBy, created_at: now, updated_at: now,
    };
    if (!(await this.repo.createQueue(q))) throw new AssayError({ status: 409, code: 'already_exists', message: `queue ${q.name} exists already: pick another name` });
    await this.reloadRules();
    return q;
  }

  async update(projectId: string, ref: string, input: QueueInput): Promise<Queue> {
    const q = await this.get(projectId, ref);
    if (input.name !== q.name && (await this.repo.getQueue(projectId, input.name))) {
      throw new AssayError({ status: 409, code: 'already_exists', message: `queue ${input.name} exists already: pick another name` });
    }
    const known = new Map(q.questions.map((x) => [x.id, x.kind]));
    for (const x of input.questions) {
      const kind = known.get(x.id);
      if (kind && kind !== x.kind) throw badRequest(`question "${x.id}" is a ${kind} question: its kind cannot change once asked (add a new question instead)`, 'questions');
    }
    const next: Queue = {
      ...q, name: input.name, description: input.description ?? null, questions: input.questions, overlap: input.overlap,
      annotators: input.annotators ?? null, sampling: input.sampling?.length ? input.sampling : null, updated_at: Date.now(),
    };
    await this.repo.updateQueue(next);
    await this.reloadRules();
    return next;
  }

  async get(projectId: string, ref: string): Promise<Queue> {
    const q = await this.repo.getQueue(projectId, ref);
    if (!q) throw notFound(`no annotation queue ${ref}`, 'queue_not_found');
    return q;
  }

  /** The queues a caller may see: all for admins, else those they may annotate. */
  async list(who: Annotator): Promise<Queue[]> {
    const all = await this.repo.listQueues(who.projectId);
    return all.filter((q) => this.mayAnnotate(q, who));
  }

  async delete(projectId: string, ref: string): Promise<void> {
    const q = await this.get(projectId, ref);
    await this.repo.deleteQueue(q.id);
    await this.reloadRules();
  }

  mayAnnotate(q: Queue, who: Annotator): boolean {
    return who.admin || (q.annotators === null ? who.read : q.annotators.includes(who.id));
  }

  /** The queue, when the caller may annotate it (404 unknown, 403 not an annotator). */
  async forAnnotator(ref: string, who: Annotator): Promise<Queue> {
    const q = await this.get(who.projectId, ref);
    if (!this.mayAnnotate(q, who)) throw forbidden(
        q.annotators === null
          ? `key ${who.id} lacks the read scope that annotating queue ${q.name} needs (it has no annotators list)`
          : `key ${who.id} is not an annotator of queue ${q.name}: an admin adds its id to the queue's annotators`,
      );
    return q;
  }

  // ---- items ----

  async addItems(projectId: string, ref: string, body: AddItemsBody): Promise<{ added: number; duplicates: number; skipped: Skipped[] }> {
    const q = await this.get(projectId, ref);
    let resolved: Resolved[] = [];
    let skipped: Skipped[] = [];
    const s = this.opts.sources;
    if ('traces' in body) {
      const ids = [...new Set(body.traces)];
      const have = await this.repo.existingKeys(q.id, ids.map((t) => `trace:${t}`));
      for (const t of ids) if (!have.has(`trace:${t}`)) resolved.push(await fromTrace(s, projectId, t, null, { type: 'trace' }));
      return this.insert(q, resolved, body.traces.length - resolved.length, skipped);
    }
    if ('observations' in body) {
      const seen = new Set<string>();
      for (const o of body.observations) {
        const key = `obs:${o.trace_id}:${o.id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        resolved.push(await fromTrace(s, projectId, o.trace_id, o.id, { type: 'observation' }));
      }
    } else if ('filter' in body) {
      const { limit, score, ...filter } = body.filter;
      ({ items: resolved, skipped } = await fromFilter(s, { ...filter, projectId }, Math.min(limit ?? 100, MAX_ADD), score));
    } else if ('experiment' in body) {
      ({ items: resolved, skipped } = await fromExperiment(s, projectId, body.experiment.id, body.experiment.variant));
    } else if ('pairs' in body) {
      ({ items: resolved, skipped } = await fromComparison(s, projectId, body.pairs.experiment, [body.pairs.a, body.pairs.b]));
    } else {
      ({ items: resolved, skipped } = await fromComparison(s, projectId, body.compare.experiment, body.compare.variants));
    }
    return this.insert(q, resolved, 0, skipped);
  }

  private async insert(q: Queue, resolved: Resolved[], knownDuplicates: number, skipped: Skipped[]) {
    const unique = new Map(resolved.map((r) => [r.source_key, r]));
    const now = Date.now();
    const rows: NewItem[] = [...unique.values()].map((r, i) => ({ id: itemId(), source_key: r.source_key, kind: r.kind, content: r.content, created_at: now + i }));
    const added = await this.repo.addItems(q.id, rows);
    return { added, duplicates: knownDuplicates + resolved.length - added, skipped };
  }

  /** Sampled live calls (from the sampler): returns the ones whose trace is not written yet, to retry. */
  async addSampled(batch: SampledCall[]): Promise<SampledCall[]> {
    const retry: SampledCall[] = [];
    for (const call of batch) {
      try {
        const q = await this.repo.getQueue(call.projectId, call.queueId);
        if (!q) continue;
        if ((await this.repo.existingKeys(q.id, [`trace:${call.traceId}`])).size) continue;
        const r = await fromTrace(this.opts.sources, call.projectId, call.traceId, null, { type: 'sampling', rate: call.rate });
        await this.repo.addItems(q.id, [{ id: itemId(), source_key: r.source_key, kind: r.kind, content: r.content, created_at: Date.now() }]);
      } catch (err) {
        if ((err as AssayError).code === 'trace_not_found') retry.push(call);
        else this.opts.log?.(`annotation sampling: trace ${call.traceId} not queued: ${(err as Error).message}`);
      }
    }
    return retry;
  }

  async item(q: Queue, id: string): Promise<QueueItem> {
    const item = await this.repo.getItem(q.id, id);
    if (!item) throw notFound(`queue ${q.name} has no item ${id}`, 'item_not_found');
    return item;
  }

  async items(q: Queue, limit: number, after?: { created_at: number; id: string }): Promise<QueueItem[]> {
    return this.repo.items(q.id, { limit, after });
  }

  // ---- annotating ----

  /** The next item for this annotator, leased for 10 minutes; null when nothing is left for them. */
  /**
   * The next item for an annotator. `skip`: items the annotator passed over in this sitting — their
   * leases are released (another annotator may take them) and they are not handed out again here.
   */
  async next(q: Queue, who: Annotator, skip: ReadonlySet<string> = new Set()): Promise<{ item: ItemView | null; lease_expires_at: number | null }> {
    for (const id of skip) await this.repo.releaseLease(id, who.id);
    const now = Date.now();
    let after: { created_at: number; id: string } | undefined;
    let pick: QueueItem | null = null;
    for (let pages = 0; !pick && pages < 50; pages++) {
      const page = await this.repo.items(q.id, { openBelow: q.overlap, after, limit: 100 });
      if (!page.length) break;
      const ids = page.map((i) => i.id);
      const mine = await this.repo.doneBy(who.id, ids);
      for (const id of skip) mine.add(id);
      const leases = await this.repo.leasesFor(ids, now);
      const held = page.find((i) => !mine.has(i.id) && leases.some((l) => l.item_id === i.id && l.annotator === who.id));
      pick = held ?? page.find((i) => !mine.has(i.id) && i.done + leases.filter((l) => l.item_id === i.id).length < q.overlap) ?? null;
      const last = page[page.length - 1];
      after = { created_at: last.created_at, id: last.id };
    }
    if (!pick) return { item: null, lease_expires_at: null };
    const shown = pick.kind === 'multi' ? shownOrder(pick.id, who.id, pick.content.outputs.length) : null;
    const until = now + LEASE_MS;
    await this.repo.lease(q.id, { item_id: pick.id, annotator: who.id, shown, leased_until: until });
    return { item: viewOf(pick, shown), lease_expires_at: until };
  }

  /** One annotator's answers to an item: validated, stored un-blinded, scalar answers written as scores. */
  async annotate(q: Queue, id: string, who: Annotator, answers: Record<string, unknown>): Promise<Annotation> {
    const item = await this.item(q, id);
    const entries = Object.entries(answers);
    if (!entries.length) throw badRequest(`answers is empty: answer at least one of ${q.questions.map((x) => `"${x.id}"`).join(', ')}`, 'answers');
    const shown = item.kind === 'multi' ? shownOrder(item.id, who.id, item.content.outputs.length) : null;
    const stored: Record<string, unknown> = {};
    for (const [qid, value] of entries) {
      const question = q.questions.find((x) => x.id === qid);
      if (!question) throw badRequest(`queue ${q.name} has no question "${qid}" (it has ${q.questions.map((x) => `"${x.id}"`).join(', ')})`, `answers.${qid}`, 'unknown_question');
      if (value === null || value === undefined) continue;
      stored[qid] = checkAnswer(question, value, item.content, shown);
    }
    const missing = q.questions.filter((x) => x.required && stored[x.id] === undefined);
    if (missing.length) throw badRequest(`question "${missing[0].id}" is required`, `answers.${missing[0].id}`, 'invalid_answer');
    const now = Date.now();
    const saved = await this.repo.saveAnnotation({
      id: `an_${randomBytes(8).toString('hex')}`, queue_id: q.id, item_id: item.id, annotator: who.id, annotator_name: who.name,
      answers: stored, shown, created_at: now, updated_at: now,
    });
    await this.repo.releaseLease(item.id, who.id);
    await this.writeScores(q, item, who, stored);
    return saved;
  }

  private async writeScores(q: Queue, item: QueueItem, who: Annotator, stored: Record<string, unknown>): Promise<void> {
    const traceId = item.content.trace_id;
    if (!traceId) return;
    const now = Date.now();
    const scores: Score[] = [];
    for (const question of q.questions) {
      const v = stored[question.id];
      if (v === undefined || !['rating', 'boolean', 'categorical', 'text'].includes(question.kind)) continue;
      const dataType = question.kind === 'rating' ? 'NUMERIC' : question.kind === 'boolean' ? 'BOOLEAN' : question.kind === 'categorical' ? 'CATEGORICAL' : 'TEXT';
      scores.push({
        id: `ann_${createHash('sha256').update(`${item.id}\u0000${who.id}\u0000${question.id}`).digest('hex').slice(0, 24)}`,
        project_id: q.project_id, trace_id: traceId, observation_id: item.content.observation_id, session_id: null,
        name: question.id, data_type: dataType,
        value: typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : null,
        string_value: typeof v === 'string' ? v : typeof v === 'boolean' ? String(v) : null,
        comment: null, source: 'annotation', author: who.id, config_id: null, environment: null,
        metadata: { queue: q.id, queue_name: q.name, item: item.id, annotator_name: who.name },
        timestamp: now, created_at: now,
      });
    }
    if (scores.length) await this.opts.writeScores(scores);
  }

  async progress(q: Queue): Promise<{
    items: number; complete: number; remaining: number; overlap: number;
    annotators: { id: string; name: string | null; done: number; assigned: number }[];
  }> {
    const counts = await this.repo.itemCounts(q.id, q.overlap);
    const done = await this.repo.doneCounts(q.id);
    const leases = await this.repo.activeLeases(q.id, Date.now());
    const ids = [...new Set([...done.keys(), ...leases.keys()])].sort();
    return {
      ...counts,
      remaining: counts.items - counts.complete,
      overlap: q.overlap,
      annotators: ids.map((id) => ({ id, name: done.get(id)?.name ?? null, done: done.get(id)?.done ?? 0, assigned: leases.get(id) ?? 0 })),
    };
  }
}
