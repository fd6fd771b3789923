/**
 * Alerts: rules evaluated on a schedule against the metrics, notification channels, history.
 * Evaluations of one rule never overlap (a per-rule lock; the scheduler's runs never overlap either);
 * a metric that cannot be read is recorded on the rule as last_error, never thrown. Other parts
 * (budgets) send through the same channels with `notify`.
 */
import { randomBytes } from 'node:crypto';
import { AssayError, badRequest, notFound } from '../errors.js';
import type { MetricFilters, MetricName } from '../metrics/service.js';
import type { AlertsRepo } from '../store/alerts.js';
import type { Page } from '../store/observations.js';
import { evaluateRule, type MetricReading } from './evaluate.js';
import { mergeConfig, publicChannel } from './mask.js';
import { Notifier, type Senders } from './notifier.js';
import { ReceiverGuard } from './receiver.js';
import { CONFIG_SCHEMAS, warningProblem, type RuleCreate, type RulePatchInput } from './schemas.js';
import { Scheduler } from './scheduler.js';
import type { AlertEvent, AlertRule, AlertState, Channel, ChannelConfig, ChannelType, DeliveryResult, NotificationPayload } from './types.js';
import { validate } from '../http/body.js';
import { z } from 'zod';

/** What the service needs from the metrics: one number over a window (null = no data). */
export interface MetricsSource {
  scalar(projectId: string, metric: MetricName, filters: MetricFilters, from: number, to: number): Promise<number | null>;
}

/** A notice from outside the rules (budgets), sent through the same channels and failure counting. */
export interface ExternalEvent {
  kind: 'budget';
  dedupe_key: string;
  state: 'ALERT' | 'OK';
  title: string;
  message: string;
  details: Record<string, unknown>;
}

export interface EvaluationResult {
  rule: AlertRule;
  /** The history row written, when the state changed. */
  event: AlertEvent | null;
  notification: NotificationPayload | null;
  deliveries: DeliveryResult[];
}

export interface AlertServiceOptions {
  repo: AlertsRepo;
  metrics: MetricsSource;
  intervalMs: number;
  /** Sends email (EmailSender.send); absent = email channels cannot be created. */
  email?: Senders['email'];
  /** Replace the HTTP senders (tests). */
  senders?: Partial<Senders>;
  /** Hosts (`host[:port]`, `*.domain`) that webhook and Slack channels may reach on private addresses (alerts.allow_hosts). */
  allowHosts?: readonly string[];
  timeoutMs?: number;
  retryDelayMs?: number;
  now?: () => number;
  log?: (msg: string) => void;
}

const newId = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;

export const conflict = (message: string, code: string) => new AssayError({ status: 409, message, code });

export class AlertService {
  readonly notifier: Notifier;
  private readonly repo: AlertsRepo;
  private readonly now: () => number;
  private readonly log: (msg: string) => void;
  private readonly scheduler: Scheduler;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly guard: ReceiverGuard;

  constructor(private readonly opts: AlertServiceOptions) {
    this.repo = opts.repo;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => undefined);
    const email: Senders['email'] =
      opts.email ?? (async () => ({ ok: false, status: null, error: 'email is not configured: set alerts.smtp in the config file', retryable: false }));
    this.guard = new ReceiverGuard(opts.allowHosts);
    this.notifier = new Notifier({
      repo: opts.repo,
      email,
      guard: this.guard,
      senders: opts.senders,
      timeoutMs: opts.timeoutMs,
      retryDelayMs: opts.retryDelayMs,
      now: this.now,
      log: this.log,
    });
    this.scheduler = new Scheduler(() => this.evaluateAll(), opts.intervalMs, (m) => this.log(`alerts: ${m}`));
  }

  start(): void {
    this.scheduler.start();
  }

  /** Stops the schedule and waits for an evaluation under way. */
  stop(): Promise<void> {
    return this.scheduler.stop();
  }

  // ── evaluation ─────────────────────────────────────────────────────────────────────────────────

  /** One scheduled run: every enabled rule of every project, one after another. */
  async evaluateAll(): Promise<void> {
    for (const id of await this.repo.enabledRuleIds()) {
      try {
        await this.evaluate(null, id, { scheduled: true });
      } catch (err) {
        this.log(`alerts: rule ${id} could not be evaluated: ${(err as Error).message}`);
      }
    }
  }

  /** Evaluates one rule now (projectId null = any project, for the scheduler). */
  evaluate(projectId: string | null, id: string, opts: { scheduled?: boolean } = {}): Promise<EvaluationResult | null> {
    return this.withLock(id, async () => {
      const rule = await this.repo.getRule(projectId, id);
      if (!rule) {
        if (opts.scheduled) return null; // deleted since the run started
        throw notFound(`no alert rule ${id} (GET /api/alerts lists them)`, 'rule_not_found');
      }
      if (!rule.enabled) {
        if (opts.scheduled) return null;
        throw conflict(`alert rule ${id} is disabled: PATCH /api/alerts/${id} {"enabled": true} to evaluate it`, 'rule_disabled');
      }
      const now = this.now();
      let reading: MetricReading;
      try {
        const v = await this.opts.metrics.scalar(rule.project_id, rule.metric, rule.filters, now - rule.window_s * 1000, now);
        reading = { value: v === null || !Number.isFinite(v) ? null : v };
      } catch (err) {
        reading = { error: `the metric ${rule.metric} could not be read: ${(err as Error).message}` };
      }
      const ev = evaluateRule(rule, reading, now);
      const event: AlertEvent | null = ev.transition
        ? {
            id: newId('evt'),
            project_id: rule.project_id,
            rule_id: rule.id,
            at: now,
            from_state: ev.transition.from,
            to_state: ev.transition.to,
            value: ev.transition.value,
            message: ev.transition.message,
          }
        : null;
      // The state is saved before sending, so a crash mid-delivery never notifies twice.
      await this.repo.saveEvaluation(rule.id, ev.status, event);
      const deliveries =
        ev.notification && rule.channel_ids.length > 0 ? await this.notifier.deliverAll(rule.project_id, rule.channel_ids, ev.notification) : [];
      for (const d of deliveries) if (!d.ok) this.log(`alerts: rule ${rule.id}: delivery to ${d.channel_id} failed: ${d.error}`);
      return { rule: { ...rule, ...ev.status }, event, notification: ev.notification, deliveries };
    });
  }

  private async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  // ── notify (budgets and other parts) ───────────────────────────────────────────────────────────

  async notify(projectId: string, channelIds: readonly string[], event: ExternalEvent): Promise<DeliveryResult[]> {
    const value = typeof event.details.value === 'number' ? event.details.value : null;
    const payload: NotificationPayload = {
      version: 1,
      kind: event.kind,
      dedupe_key: event.dedupe_key,
      rule: null,
      state: event.state as AlertState,
      previous_state: null,
      value,
      title: event.title,
      message: event.message,
      details: event.details,
      at: new Date(this.now()).toISOString(),
    };
    return this.notifier.deliverAll(projectId, channelIds, payload);
  }

  // ── rules ──────────────────────────────────────────────────────────────────────────────────────

  async createRule(projectId: string, input: RuleCreate): Promise<AlertRule> {
    this.checkWarning(input);
    await this.checkChannels(projectId, input.channel_ids);
    const now = this.now();
    const rule: AlertRule = {
      id: newId('rule'),
      project_id: projectId,
      ...input,
      state: 'OK',
      state_since: now,
      episode_start: null,
      last_value: null,
      last_evaluated_at: null,
      last_notified_at: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    };
    await this.repo.insertRule(rule);
    return rule;
  }

  listRules(projectId: string, limit: number, cursor?: string | null): Promise<Page<AlertRule>> {
    return this.repo.listRules(projectId, limit, cursor);
  }

  async getRule(projectId: string, id: string): Promise<AlertRule> {
    const rule = await this.repo.getRule(projectId, id);
    if (!rule) throw notFound(`no alert rule ${id} (GET /api/alerts lists them)`, 'rule_not_found');
    return rule;
  }

  async updateRule(projectId: string, id: string, patch: RulePatchInput): Promise<AlertRule> {
    return this.withLock(id, async () => {
      const rule = await this.getRule(projectId, id);
      const merged = { ...rule, ...patch };
      this.checkWarning(merged);
      if (patch.channel_ids) await this.checkChannels(projectId, patch.channel_ids);
      const updated: AlertRule = { ...merged, updated_at: this.now() };
      await this.repo.updateRule(projectId, id, { ...patch, updated_at: updated.updated_at });
      return updated;
    });
  }

  async deleteRule(projectId: string, id: string): Promise<void> {
    await this.withLock(id, async () => {
      if (!(await this.repo.deleteRule(projectId, id))) throw notFound(`no alert rule ${id} (GET /api/alerts lists them)`, 'rule_not_found');
    });
  }

  async history(projectId: string, id: string, limit: number, cursor?: string | null): Promise<Page<AlertEvent>> {
    await this.getRule(projectId, id);
    return this.repo.listEvents(projectId, id, limit, cursor);
  }

  private checkWarning(rule: Parameters<typeof warningProblem>[0]): void {
    const problem = warningProblem(rule);
    if (problem) throw badRequest(problem, 'warning', 'invalid_request');
  }

  private async checkChannels(projectId: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const found = new Set((await this.repo.getChannels(projectId, ids)).map((c) => c.id));
    const i = ids.findIndex((id) => !found.has(id));
    if (i >= 0) {
      throw badRequest(`channel_ids[${i}]: no channel "${ids[i]}" in this project (create it with POST /api/channels; GET /api/channels lists them)`, `channel_ids[${i}]`, 'invalid_request');
    }
  }

  // ── channels ───────────────────────────────────────────────────────────────────────────────────

  async createChannel(projectId: string, input: { name: string; type: ChannelType; config: Record<string, unknown>; enabled: boolean }) {
    const config = await this.checkConfig(input.type, input.config);
    const now = this.now();
    const ch: Channel = {
      id: newId('chan'),
      project_id: projectId,
      name: input.name,
      type: input.type,
      config,
      enabled: input.enabled,
      consecutive_failures: 0,
      disabled_reason: input.enabled ? null : `disabled through the API at ${new Date(now).toISOString()}`,
      last_delivery_at: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    };
    await this.repo.insertChannel(ch);
    return publicChannel(ch, true);
  }

  /** `admin`: the caller has the admin scope and sees webhook URLs in full. */
  async listChannels(projectId: string, admin = false) {
    return (await this.repo.listChannels(projectId)).map((ch) => publicChannel(ch, admin));
  }

  async getChannel(projectId: string, id: string, admin = false) {
    return publicChannel(await this.channel(projectId, id), admin);
  }

  async updateChannel(projectId: string, id: string, patch: { name?: string; config?: Record<string, unknown>; enabled?: boolean }) {
    const ch = await this.channel(projectId, id);
    const now = this.now();
    const next: Channel = { ...ch, updated_at: now };
    if (patch.name !== undefined) next.name = patch.name;
    if (patch.config !== undefined) next.config = await this.checkConfig(ch.type, mergeConfig(ch.type, ch.config, patch.config));
    if (patch.enabled === true) {
      next.enabled = true;
      next.consecutive_failures = 0;
      next.disabled_reason = null;
    } else if (patch.enabled === false && ch.enabled) {
      next.enabled = false;
      next.disabled_reason = `disabled through the API at ${new Date(now).toISOString()}`;
    }
    await this.repo.updateChannel(projectId, id, {
      name: next.name,
      config: next.config,
      enabled: next.enabled,
      consecutive_failures: next.consecutive_failures,
      disabled_reason: next.disabled_reason,
      updated_at: now,
    });
    return publicChannel(next, true);
  }

  async deleteChannel(projectId: string, id: string): Promise<void> {
    await this.channel(projectId, id);
    const users = await this.repo.rulesUsingChannel(projectId, id);
    if (users.length > 0) {
      throw conflict(
        `channel ${id} is used by alert rule(s) ${users.map((r) => `${r.id} ("${r.name}")`).join(', ')}: remove it from their channel_ids first`,
        'channel_in_use',
      );
    }
    await this.repo.deleteChannel(projectId, id);
  }

  /** Sends a test notification to the channel (also when disabled) and returns the delivery result. */
  async testChannel(projectId: string, id: string): Promise<DeliveryResult> {
    const ch = await this.channel(projectId, id);
    const now = this.now();
    const payload: NotificationPayload = {
      version: 1,
      kind: 'test',
      dedupe_key: `test:${ch.id}:${now}`,
      rule: null,
      state: 'OK',
      previous_state: null,
      value: null,
      title: `[TEST] Assay test notification`,
      message: `This is a test notification from Assay for the channel "${ch.name}" (${ch.id}). If you can read it, the channel works.`,
      details: null,
      at: new Date(now).toISOString(),
    };
    return this.notifier.deliver(ch, payload);
  }

  private async channel(projectId: string, id: string): Promise<Channel> {
    const ch = await this.repo.getChannel(projectId, id);
    if (!ch) throw notFound(`no channel ${id} (GET /api/channels lists them)`, 'channel_not_found');
    return ch;
  }

  private async checkConfig(type: ChannelType, config: Record<string, unknown>): Promise<ChannelConfig> {
    if (type === 'email' && !this.opts.email) {
      throw badRequest(
        'email channels need an SMTP server: configure alerts.smtp (host, port, secure, user, password, from) in the config file and restart Assay',
        'type',
        'smtp_not_configured',
      );
    }
    const checked = validate(z.strictObject({ config: CONFIG_SCHEMAS[type] }), { config }).config as ChannelConfig;
    if ('url' in checked) await this.guard.checkForApi(checked.url, 'config.url');
    return checked;
  }
}
