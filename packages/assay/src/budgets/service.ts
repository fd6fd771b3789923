/**
 * The budget service: budget definitions cached in memory (reloaded on every write), counters per
 * budget/subject/window, the check the gateway runs before a call, and the accounting after it.
 * The request path reads only memory (or Redis when configured), never the database.
 */
import { randomBytes } from 'node:crypto';
import { AssayError, badRequest, notFound } from '../errors.js';
import type { BudgetsRepo } from '../store/budgets.js';
import type { Observation } from '../tracing/span.js';
import type { Counters } from './counters.js';
import { budgetInputSchema, windowBounds, type Budget, type BudgetInput } from './types.js';

export interface BreachEvent {
  budget: Budget;
  subject: string;
  used: number;
  windowStart: number;
  windowEnd: number;
}

export interface BudgetServiceOptions {
  repo: BudgetsRepo;
  counters: Counters;
  /** Called once per budget, subject and window when usage reaches the limit. */
  onBreach?: (e: BreachEvent) => void;
  log?: (msg: string) => void;
  now?: () => number;
}

/** Who a call is: the subjects budgets can be about. */
export interface CallSubjects {
  projectId: string;
  keyId: string | null;
  userId: string | null;
  tags: readonly string[];
}

export interface BudgetDecision {
  /** Set when a reroute budget is spent: the model or route to call instead. */
  rerouteTo: string | null;
  budget: Budget | null;
}

const counterKey = (b: Budget, subject: string, windowStart: number) => `${b.id}:${subject}:${windowStart}`;

export class BudgetService {
  private budgets: Budget[] = [];
  private readonly now: () => number;

  constructor(private readonly opts: BudgetServiceOptions) {
    this.now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.budgets = await this.opts.repo.list();
    for (const b of this.budgets) await this.seed(b);
  }

  list(projectId: string): Budget[] {
    return this.budgets.filter((b) => b.project_id === projectId);
  }

  get(projectId: string, id: string): Budget {
    const b = this.budgets.find((x) => x.id === id && x.project_id === projectId);
    if (!b) throw notFound(`no budget ${id}`, 'budget_not_found');
    return b;
  }

  async create(projectId: string, input: BudgetInput): Promise<Budget> {
    if (this.budgets.some((b) => b.project_id === projectId && b.name === input.name)) {
      throw badRequest(`a budget named "${input.name}" exists already`, 'name', 'budget_exists');
    }
    const at = this.now();
    const b: Budget = {
      id: `bud_${randomBytes(8).toString('hex')}`,
      project_id: projectId,
      ...input,
      subject: input.subject ?? null,
      reroute_to: input.reroute_to ?? null,
      created_at: at,
      updated_at: at,
    };
    await this.opts.repo.insert(b);
    this.budgets = [...this.budgets, b];
    await this.seed(b);
    return b;
  }

  async update(projectId: string, id: string, patch: Partial<BudgetInput>): Promise<Budget> {
    const old = this.get(projectId, id);
    const merged = budgetInputSchema.safeParse({ ...toInput(old), ...patch });
    if (!merged.success) throw badRequest(merged.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const b: Budget = { ...old, ...merged.data, subject: merged.data.subject ?? null, reroute_to: merged.data.reroute_to ?? null, updated_at: this.now() };
    await this.opts.repo.update(b);
    this.budgets = this.budgets.map((x) => (x.id === id ? b : x));
    if (b.scope !== old.scope || b.metric !== old.metric || b.window !== old.window) await this.seed(b);
    return b;
  }

  async delete(projectId: string, id: string): Promise<void> {
    this.get(projectId, id);
    await this.opts.repo.delete(projectId, id);
    this.budgets = this.budgets.filter((b) => b.id !== id);
  }

  /** The subjects of this call that a budget applies to. */
  private subjectsFor(b: Budget, who: CallSubjects): string[] {
    if (!b.enabled || b.project_id !== who.projectId) return [];
    const candidates = b.scope === 'key' ? (who.keyId ? [who.keyId] : []) : b.scope === 'user' ? (who.userId ? [who.userId] : []) : [...who.tags];
    return b.subject === null ? candidates : candidates.filter((s) => s === b.subject);
  }

  /** Current usage of each subject of this budget that the call touches. */
  async usage(b: Budget, subjects: string[]): Promise<number[]> {
    const { start } = windowBounds(b.window, this.now());
    return this.opts.counters.get(subjects.map((s) => counterKey(b, s, start)));
  }

  /**
   * Before a call: a spent `block` budget throws 429 naming it; a spent `reroute` budget names the
   * model to call instead. Blocks are checked first: they win over reroutes.
   */
  async check(who: CallSubjects): Promise<BudgetDecision> {
    let reroute: Budget | null = null;
    const ordered = [...this.budgets].sort((a, b) => (a.action === b.action ? 0 : a.action === 'block' ? -1 : 1));
    for (const b of ordered) {
      const subjects = this.subjectsFor(b, who);
      if (subjects.length === 0) continue;
      const used = await this.usage(b, subjects);
      const i = used.findIndex((u) => u >= b.limit);
      if (i < 0) continue;
      if (b.action === 'block') throw exceeded(b, subjects[i], used[i], windowBounds(b.window, this.now()).end, this.now());
      reroute ??= b;
    }
    return { rerouteTo: reroute?.reroute_to ?? null, budget: reroute };
  }

  /** After a gateway call is recorded: add its cost or tokens to every budget it falls under. */
  account(o: Observation): void {
    if (o.parent_id !== null || (o.type !== 'generation' && o.type !== 'embedding') || this.budgets.length === 0) return;
    const who: CallSubjects = { projectId: o.project_id, keyId: o.key_id, userId: o.user_id, tags: o.tags };
    for (const b of this.budgets) {
      const amount = b.metric === 'cost' ? (o.cost ?? 0) : (o.total_tokens ?? 0);
      if (amount <= 0) continue;
      const { start, end } = windowBounds(b.window, o.start_time);
      for (const s of this.subjectsFor(b, who)) {
        this.opts.counters.add(counterKey(b, s, start), amount, end).then(
          (after) => {
            if (after >= b.limit && after - amount < b.limit) this.opts.onBreach?.({ budget: b, subject: s, used: after, windowStart: start, windowEnd: end });
          },
          (err: Error) => this.opts.log?.(`budget counter update failed for ${b.name}: ${err.message}`),
        );
      }
    }
  }

  /** Counters start from what stored traces say was used in the current window. */
  private async seed(b: Budget): Promise<void> {
    const { start, end } = windowBounds(b.window, this.now());
    const used = await this.opts.repo.usageSince(b.project_id, b.scope, b.metric, start);
    for (const [subject, value] of used) {
      if (b.subject !== null && subject !== b.subject) continue;
      await this.opts.counters.seed(counterKey(b, subject, start), value, end);
    }
  }
}

function toInput(b: Budget): BudgetInput {
  const { id: _i, project_id: _p, created_at: _c, updated_at: _u, ...rest } = b;
  return rest;
}

function exceeded(b: Budget, subject: string, used: number, windowEnd: number, now: number): AssayError {
  const unit = b.metric === 'cost' ? `$${used.toFixed(4)} of $${b.limit}` : `${Math.round(used)} of ${b.limit} tokens`;
  const resetS = Math.max(1, Math.ceil((windowEnd - now) / 1000));
  return new AssayError({
    status: 429,
    type: 'budget_exceeded',
    code: 'budget_exceeded',
    message: `Budget "${b.name}" is spent for ${b.scope} ${subject}: ${unit} used this ${b.window}; it resets at ${new Date(windowEnd).toISOString()}. Raise the limit or wait for the reset.`,
    headers: { 'retry-after': String(resetS), 'x-should-retry': 'false', 'x-assay-budget': b.name },
  });
}
