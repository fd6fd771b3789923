/**
 * Experiments as a product: create (the definition is checked, assertions compiled, the dataset
 * version pinned), run in the background (runner.ts), follow progress, read results and the
 * statistics (summary.ts, computed once at the end and stored), cancel, delete. An experiment left
 * `running` by a stopped process is marked failed at the next start; nothing pretends it finished.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AssayError, badRequest, notFound } from '../../errors.js';
import type { Db } from '../../store/db.js';
import { ExperimentsRepo } from './repo.js';
import { runExperiment, type GradeFn, type RunnerDeps } from './runner.js';
import { compareExperiments, summarize } from './summary.js';
import type { Comparison, ExperimentDefinition, ExperimentRecord, InlineItem, ResultRow } from './types.js';

const id = z.string().min(1).max(200);
const message = z.looseObject({ role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']), content: z.unknown() });
const assertion = z.looseObject({ type: z.string().min(1) });

export const definitionSchema = z
  .strictObject({
    name: z.string().min(1).max(200),
    description: z.string().max(10_000).optional(),
    dataset: z.strictObject({ name: z.string().min(1), version: z.number().int().positive().optional() }).optional(),
    items: z
      .array(
        z.strictObject({
          id,
          vars: z.record(z.string(), z.unknown()).optional(),
          messages: z.array(message).optional(),
          expected: z.unknown().optional(),
          assert: z.array(assertion).optional(),
          description: z.string().optional(),
          threshold: z.number().min(0).max(1).optional(),
          metadata: z.record(z.string(), z.unknown()).optional(),
        }),
      )
      .max(100_000)
      .optional(),
    variants: z
      .array(
        z.strictObject({
          id: z.string().min(1).max(100),
          model: z.string().min(1),
          prompt: z.strictObject({ name: z.string().min(1), version: z.number().int().positive().optional(), label: z.string().optional() }).optional(),
          messages: z.array(message).min(1).optional(),
          params: z.record(z.string(), z.unknown()).optional(),
        }),
      )
      .min(1, { message: 'an experiment needs at least one variant (a model, optionally with a prompt)' })
      .max(50),
    repeats: z.number().int().min(1).max(100).default(1),
    assert: z.array(assertion).default([]),
    concurrency: z.number().int().min(1).max(256).default(8),
    grader: z.string().min(1).optional(),
    tags: z.array(z.string().min(1).max(200)).max(20).optional(),
  })
  .superRefine((d, ctx) => {
    if (!d.dataset === !d.items) ctx.addIssue({ code: 'custom', path: ['items'], message: 'give either dataset {name, version?} or inline items, not both and not neither' });
    const seen = new Set<string>();
    d.variants.forEach((v, i) => {
      if (seen.has(v.id)) ctx.addIssue({ code: 'custom', path: ['variants', i, 'id'], message: `duplicate variant id "${v.id}"` });
      seen.add(v.id);
    });
    const items = new Set<string>();
    d.items?.forEach((it, i) => {
      if (items.has(it.id)) ctx.addIssue({ code: 'custom', path: ['items', i, 'id'], message: `duplicate item id "${it.id}"` });
      items.add(it.id);
    });
  });

/** Items of a dataset at a version (the current one when not given). */
export type LoadDataset = (name: string, version: number | undefined, projectId: string) => Promise<{ version: number; items: InlineItem[] }>;
/** Throws a 400 naming the problem when an assertion cannot be compiled (unknown type, bad regex …). */
export type CheckAssertions = (assertions: { type: string }[], where: string, grader?: string) => void;

export interface ExperimentServiceOptions {
  db: Db;
  runner: Omit<RunnerDeps, 'projectId' | 'keyId' | 'grade'>;
  /** Grading for an experiment, with its grader model for model-graded assertions. */
  gradeFor: (grader?: string) => GradeFn;
  loadDataset?: LoadDataset;
  checkAssertions: CheckAssertions;
  log?: (msg: string) => void;
}

export class ExperimentService {
  readonly repo: ExperimentsRepo;
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();

  constructor(private readonly opts: ExperimentServiceOptions) {
    this.repo = new ExperimentsRepo(opts.db);
  }

  /** Marks experiments a stopped process left running as failed. */
  async start(): Promise<void> {
    await this.repo.failInterrupted('interrupted: the server stopped while it ran; run it again');
  }

  async create(raw: unknown, who: { projectId: string; keyId: string | null }): Promise<ExperimentRecord> {
    const parsed = definitionSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue.path.join('.');
      throw badRequest(`${path ? `${path}: ` : ''}${issue.message}`, path || null);
    }
    const def = parsed.data as ExperimentDefinition;
    this.opts.checkAssertions(def.assert, 'assert', def.grader);
    def.items?.forEach((it, i) => it.assert && this.opts.checkAssertions(it.assert, `items.${i}.assert`, def.grader));
    let items: InlineItem[];
    let datasetVersion: number | null = null;
    if (def.dataset) {
      if (!this.opts.loadDataset) throw badRequest('datasets are not available on this server', 'dataset');
      const loaded = await this.opts.loadDataset(def.dataset.name, def.dataset.version, who.projectId);
      items = loaded.items;
      datasetVersion = loaded.version;
      items.forEach((it) => it.assert && this.opts.checkAssertions(it.assert, `dataset item ${it.id} assert`, def.grader));
      if (items.length === 0) throw badRequest(`dataset "${def.dataset.name}" version ${loaded.version} has no items`, 'dataset');
    } else {
      items = def.items!;
    }
    const record: ExperimentRecord = {
      id: `exp_${randomBytes(8).toString('hex')}`,
      projectId: who.projectId,
      name: def.name,
      status: 'queued',
      definition: def,
      dataset: def.dataset?.name ?? null,
      datasetVersion,
      total: items.length * def.variants.length * def.repeats,
      done: 0,
      summary: null,
      error: null,
      createdBy: who.keyId,
      createdAt: Date.now(),
      startedAt: null,
      finishedAt: null,
    };
    await this.repo.insert(record);
    this.launch(record, items);
    return record;
  }

  private launch(record: ExperimentRecord, items: InlineItem[]): void {
    const controller = new AbortController();
    const done = (async () => {
      let finished = 0;
      try {
        await this.repo.update(record.id, { status: 'running', startedAt: Date.now() });
        await runExperiment(record.id, record.definition, items, { ...this.opts.runner, grade: this.opts.gradeFor(record.definition.grader), projectId: record.projectId, keyId: record.createdBy }, {
          signal: controller.signal,
          onResults: async (rows) => {
            await this.repo.insertResults(record.id, rows);
            finished += rows.length;
            await this.repo.update(record.id, { done: finished });
          },
        });
        const rows = await this.repo.results(record.id);
        const cancelled = controller.signal.aborted;
        await this.repo.update(record.id, {
          status: cancelled ? 'cancelled' : 'done',
          summary: summarize(record.definition, rows, record.id),
          finishedAt: Date.now(),
        });
      } catch (err) {
        this.opts.log?.(`experiment ${record.id} failed: ${(err as Error).message}`);
        await this.repo.update(record.id, { status: 'failed', error: (err as Error).message, finishedAt: Date.now() }).catch(() => undefined);
      } finally {
        this.running.delete(record.id);
      }
    })();
    this.running.set(record.id, { controller, done });
  }

  async get(projectId: string, idOrName: string): Promise<ExperimentRecord> {
    const r = await this.repo.get(projectId, idOrName);
    if (!r) throw notFound(`experiment "${idOrName}" does not exist`, 'experiment_not_found');
    return r;
  }

  list(projectId: string, limit = 50, before?: number): Promise<ExperimentRecord[]> {
    return this.repo.list(projectId, limit, before);
  }

  async results(projectId: string, idOrName: string): Promise<{ experiment: ExperimentRecord; rows: ResultRow[] }> {
    const experiment = await this.get(projectId, idOrName);
    return { experiment, rows: await this.repo.results(experiment.id) };
  }

  /** This experiment against a finished baseline experiment (summary.ts compareExperiments). */
  async compare(projectId: string, idOrName: string, baselineRef: string): Promise<{ experiment: ExperimentRecord; baseline: ExperimentRecord; comparisons: Comparison[] }> {
    const experiment = await this.get(projectId, idOrName);
    const baseline = await this.get(projectId, baselineRef);
    for (const e of [experiment, baseline]) {
      if (e.status !== 'done') throw new AssayError({ status: 409, code: 'not_finished', message: `experiment ${e.id} is ${e.status}: compare finished experiments` });
    }
    const [rows, baseRows] = await Promise.all([this.repo.results(experiment.id), this.repo.results(baseline.id)]);
    const comparisons = compareExperiments({ def: experiment.definition, rows }, { def: baseline.definition, rows: baseRows }, experiment.id);
    return { experiment, baseline, comparisons };
  }

  /** Waits for a running experiment (tests, `?wait=true`); resolves at once when it is not running here. */
  async wait(id: string): Promise<void> {
    await this.running.get(id)?.done;
  }

  async cancel(projectId: string, idOrName: string): Promise<ExperimentRecord> {
    const e = await this.get(projectId, idOrName);
    const run = this.running.get(e.id);
    if (!run) throw new AssayError({ status: 409, code: 'not_running', message: `experiment ${e.id} is ${e.status}, not running on this instance` });
    run.controller.abort();
    await run.done;
    return this.get(projectId, e.id);
  }

  async delete(projectId: string, idOrName: string): Promise<void> {
    const e = await this.get(projectId, idOrName);
    const run = this.running.get(e.id);
    if (run) {
      run.controller.abort();
      await run.done;
    }
    await this.repo.delete(projectId, e.id);
  }

  /** Stops every running experiment (shutdown); each ends as cancelled with what it finished. */
  async close(): Promise<void> {
    for (const r of this.running.values()) r.controller.abort();
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }
}
