/**
 * Repository for alerts: rules (definition and current state in one row), their transition history,
 * and notification channels with their delivery-failure counters.
 */
import type { Selectable } from 'kysely';
import type { AlertEvent, AlertRule, AlertState, Channel, ChannelConfig, ChannelType, NoDataPolicy, Operator, RuleStatus } from '../alerts/types.js';
import type { MetricFilters, MetricName } from '../metrics/service.js';
import type { Db } from './db.js';
import { fromJson, sql, toJson } from './db.js';
import { decodeCursor, encodeCursor, type Page } from './observations.js';
import type { AlertChannelsTable, AlertRulesTable } from './schema.js';

export type RulePatch = Partial<Omit<AlertRule, 'id' | 'project_id' | 'created_at'>>;
export type ChannelPatch = Partial<Pick<Channel, 'name' | 'config' | 'enabled' | 'consecutive_failures' | 'disabled_reason' | 'updated_at'>>;

export class AlertsRepo {
  constructor(private readonly db: Db) {}

  // ── rules ──────────────────────────────────────────────────────────────────────────────────────

  async insertRule(rule: AlertRule): Promise<void> {
    await this.db.kysely.insertInto('alert_rules').values(this.encodeRule(rule)).execute();
  }

  /** Oldest first, cursor-paginated. */
  async listRules(projectId: string, limit: number, cursor?: string | null): Promise<Page<AlertRule>> {
    let q = this.db.kysely.selectFrom('alert_rules').selectAll().where('project_id', '=', projectId);
    const c = cursor ? decodeCursor(cursor) : null;
    if (c) q = q.where((eb) => eb.or([eb('created_at', '>', c.startTime), eb.and([eb('created_at', '=', c.startTime), eb('id', '>', c.id)])]));
    const rows = await q.orderBy('created_at').orderBy('id').limit(limit + 1).execute();
    const data = rows.slice(0, limit).map((r) => this.decodeRule(r));
    const last = data[data.length - 1];
    return { data, next_cursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null };
  }

  /** Every enabled rule of every project: what the scheduler evaluates. */
  async enabledRuleIds(): Promise<string[]> {
    const rows = await this.db.kysely.selectFrom('alert_rules').select('id').where('enabled', '=', 1).orderBy('created_at').orderBy('id').execute();
    return rows.map((r) => r.id);
  }

  async getRule(projectId: string | null, id: string): Promise<AlertRule | null> {
    let q = this.db.kysely.selectFrom('alert_rules').selectAll().where('id', '=', id);
    if (projectId !== null) q = q.where('project_id', '=', projectId);
    const r = await q.executeTakeFirst();
    return r ? this.decodeRule(r) : null;
  }

  async updateRule(projectId: string, id: string, patch: RulePatch): Promise<void> {
    const values = this.encodeRule(patch as AlertRule, true);
    await this.db.kysely.updateTable('alert_rules').set(values).where('project_id', '=', projectId).where('id', '=', id).execute();
  }

  /** Deletes the rule and its history. */
  async deleteRule(projectId: string, id: string): Promise<boolean> {
    return this.db.kysely.transaction().execute(async (trx) => {
      const r = await trx.deleteFrom('alert_rules').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) return false;
      await trx.deleteFrom('alert_events').where('rule_id', '=', id).execute();
      return true;
    });
  }

  /** Saves an evaluation: the new status and, on a transition, its history row, together. */
  async saveEvaluation(id: string, status: RuleStatus, event: AlertEvent | null): Promise<void> {
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx.updateTable('alert_rules').set({ ...status }).where('id', '=', id).execute();
      if (event) await trx.insertInto('alert_events').values(event).execute();
    });
  }

  async rulesUsingChannel(projectId: string, channelId: string): Promise<{ id: string; name: string }[]> {
    const rows = await this.db.kysely.selectFrom('alert_rules').select(['id', 'name', 'channel_ids']).where('project_id', '=', projectId).execute();
    return rows.filter((r) => (fromJson<string[]>(this.db.dialect, r.channel_ids) ?? []).includes(channelId)).map((r) => ({ id: r.id, name: r.name }));
  }

  // ── history ────────────────────────────────────────────────────────────────────────────────────

  /** Newest first, cursor-paginated. */
  async listEvents(projectId: string, ruleId: string, limit: number, cursor?: string | null): Promise<Page<AlertEvent>> {
    let q = this.db.kysely.selectFrom('alert_events').selectAll().where('project_id', '=', projectId).where('rule_id', '=', ruleId);
    const c = cursor ? decodeCursor(cursor) : null;
    if (c) q = q.where((eb) => eb.or([eb('at', '<', c.startTime), eb.and([eb('at', '=', c.startTime), eb('id', '<', c.id)])]));
    const rows = await q.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const data = rows.slice(0, limit).map((r) => ({ ...r, from_state: r.from_state as AlertState, to_state: r.to_state as AlertState }));
    const last = data[data.length - 1];
    return { data, next_cursor: rows.length > limit && last ? encodeCursor(last.at, last.id) : null };
  }

  // ── channels ───────────────────────────────────────────────────────────────────────────────────

  async insertChannel(ch: Channel): Promise<void> {
    await this.db.kysely.insertInto('alert_channels').values(this.encodeChannel(ch)).execute();
  }

  async listChannels(projectId: string): Promise<Channel[]> {
    const rows = await this.db.kysely
      .selectFrom('alert_channels')
      .selectAll()
      .where('project_id', '=', projectId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => this.decodeChannel(r));
  }

  async getChannel(projectId: string, id: string): Promise<Channel | null> {
    const r = await this.db.kysely.selectFrom('alert_channels').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    return r ? this.decodeChannel(r) : null;
  }

  async getChannels(projectId: string, ids: readonly string[]): Promise<Channel[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.kysely
      .selectFrom('alert_channels')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('id', 'in', [...ids])
      .execute();
    return rows.map((r) => this.decodeChannel(r));
  }

  async updateChannel(projectId: string, id: string, patch: ChannelPatch): Promise<void> {
    const values = this.encodeChannel(patch as Channel, true);
    await this.db.kysely.updateTable('alert_channels').set(values).where('project_id', '=', projectId).where('id', '=', id).execute();
  }

  async deleteChannel(projectId: string, id: string): Promise<boolean> {
    const r = await this.db.kysely.deleteFrom('alert_channels').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async recordDeliverySuccess(id: string, at: number): Promise<void> {
    await this.db.kysely
      .updateTable('alert_channels')
      .set({ consecutive_failures: 0, last_delivery_at: at, last_error: null })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Counts a failed delivery on an enabled channel, in one statement so concurrent deliveries count
   * exactly; at `max` failures in a row the channel is disabled with `reason`. Returns whether this
   * failure disabled it.
   */
  async recordDeliveryFailure(id: string, at: number, error: string, max: number, reason: string): Promise<{ failures: number; disabled: boolean }> {
    const next = sql<number>`consecutive_failures + 1`;
    const row = await this.db.kysely
      .updateTable('alert_channels')
      .set({
        consecutive_failures: next,
        last_delivery_at: at,
        last_error: error,
        enabled: sql<number>`case when consecutive_failures + 1 >= ${max} then 0 else 1 end`,
        disabled_reason: sql<string | null>`case when consecutive_failures + 1 >= ${max} then ${reason} else null end`,
        updated_at: at,
      })
      .where('id', '=', id)
      .where('enabled', '=', 1)
      .returning(['consecutive_failures', 'enabled'])
      .executeTakeFirst();
    if (!row) return { failures: 0, disabled: false };
    return { failures: Number(row.consecutive_failures), disabled: Number(row.enabled) === 0 };
  }

  // ── encoding ───────────────────────────────────────────────────────────────────────────────────

  private encodeRule(rule: Partial<AlertRule>, partial = false): AlertRulesTable {
    const out: Record<string, unknown> = { ...rule };
    if (rule.filters !== undefined || !partial) out.filters = toJson(rule.filters ?? {});
    if (rule.channel_ids !== undefined || !partial) out.channel_ids = toJson(rule.channel_ids ?? []);
    if (rule.enabled !== undefined) out.enabled = rule.enabled ? 1 : 0;
    return out as unknown as AlertRulesTable;
  }

  private decodeRule(r: Selectable<AlertRulesTable>): AlertRule {
    return {
      ...r,
      metric: r.metric as MetricName,
      operator: r.operator as Operator,
      no_data: r.no_data as NoDataPolicy,
      state: r.state as AlertState,
      filters: fromJson<MetricFilters>(this.db.dialect, r.filters) ?? ({} as MetricFilters),
      channel_ids: fromJson<string[]>(this.db.dialect, r.channel_ids) ?? [],
      enabled: Number(r.enabled) === 1,
    };
  }

  private encodeChannel(ch: Partial<Channel>, partial = false): AlertChannelsTable {
    const out: Record<string, unknown> = { ...ch };
    if (ch.config !== undefined || !partial) out.config = toJson(ch.config ?? {});
    if (ch.enabled !== undefined) out.enabled = ch.enabled ? 1 : 0;
    return out as unknown as AlertChannelsTable;
  }

  private decodeChannel(r: Selectable<AlertChannelsTable>): Channel {
    return {
      ...r,
      type: r.type as ChannelType,
      config: fromJson<ChannelConfig>(this.db.dialect, r.config) ?? ({} as ChannelConfig),
      enabled: Number(r.enabled) === 1,
      consecutive_failures: Number(r.consecutive_failures),
    };
  }
}
