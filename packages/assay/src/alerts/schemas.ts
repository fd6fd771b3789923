/**
 * Request validation for rules and channels (zod), with messages that say what to fix. Checks that
 * need the database (channel ids exist) or the config (SMTP for email) are in service.ts.
 */
import { z } from 'zod';
import { METRIC_DIMENSIONS, METRIC_NAMES, type MetricFilters, type MetricName } from '../metrics/service.js';
import { CHANNEL_TYPES, NO_DATA_POLICIES, OPERATORS, type Operator } from './types.js';

const MAX_WINDOW_S = 31 * 86_400;

const metric = z.string({ message: `metric is required: one of ${METRIC_NAMES.join(', ')}` }).refine((m) => (METRIC_NAMES as readonly string[]).includes(m), {
  error: (iss) => `unknown metric "${String(iss.input)}": use one of ${METRIC_NAMES.join(', ')}`,
}) as unknown as z.ZodType<MetricName>;

const filters = z
  .record(z.string(), z.string({ message: 'a filter value is a string (one value per dimension)' }).min(1, 'a filter value cannot be empty'))
  .superRefine((f, ctx) => {
    for (const k of Object.keys(f)) {
      if (!(METRIC_DIMENSIONS as readonly string[]).includes(k)) {
        ctx.addIssue({ code: 'custom', path: [k], message: `unknown dimension "${k}": filter by one of ${METRIC_DIMENSIONS.join(', ')}` });
      }
    }
  }) as unknown as z.ZodType<MetricFilters>;

const number = (what: string) => z.number({ message: `${what} must be a number` }).refine(Number.isFinite, `${what} must be a finite number`);

const ruleFields = {
  name: z.string({ message: 'name is required: a short label for the rule' }).trim().min(1, 'name cannot be empty').max(200),
  description: z.string().max(2000).nullable(),
  metric,
  filters,
  window_s: z
    .number({ message: 'window_s is required: the window in seconds the metric is computed over, e.g. 300' })
    .int('window_s must be whole seconds')
    .min(1, 'window_s must be at least 1 second')
    .max(MAX_WINDOW_S, `window_s can be at most ${MAX_WINDOW_S} (31 days)`),
  operator: z.enum(OPERATORS, { message: `operator must be one of ${OPERATORS.map((o) => `"${o}"`).join(', ')}` }),
  warning: number('warning').nullable(),
  threshold: number('threshold (the alert level)'),
  no_data: z.enum(NO_DATA_POLICIES, { message: `no_data must be one of ${NO_DATA_POLICIES.join(', ')}` }),
  renotify_s: z.number({ message: 'renotify_s must be a number of seconds (0 = never)' }).int('renotify_s must be whole seconds').min(0).max(MAX_WINDOW_S),
  channel_ids: z.array(z.string().min(1), { message: 'channel_ids must be a list of channel ids' }).max(20, 'at most 20 channels per rule'),
  enabled: z.boolean({ message: 'enabled must be true or false' }),
};

export const ruleCreateSchema = z.strictObject({
  ...ruleFields,
  description: ruleFields.description.default(null),
  filters: ruleFields.filters.default({}),
  warning: ruleFields.warning.default(null),
  no_data: ruleFields.no_data.default('no_data'),
  renotify_s: ruleFields.renotify_s.default(0),
  channel_ids: ruleFields.channel_ids.default([]),
  enabled: ruleFields.enabled.default(true),
});
export type RuleCreate = z.infer<typeof ruleCreateSchema>;

export const rulePatchSchema = z.strictObject({
  name: ruleFields.name.optional(),
  description: ruleFields.description.optional(),
  metric: ruleFields.metric.optional(),
  filters: ruleFields.filters.optional(),
  window_s: ruleFields.window_s.optional(),
  operator: ruleFields.operator.optional(),
  warning: ruleFields.warning.optional(),
  threshold: ruleFields.threshold.optional(),
  no_data: ruleFields.no_data.optional(),
  renotify_s: ruleFields.renotify_s.optional(),
  channel_ids: ruleFields.channel_ids.optional(),
  enabled: ruleFields.enabled.optional(),
});
export type RulePatchInput = z.infer<typeof rulePatchSchema>;

/** Warning must be crossed before the threshold as the value moves in the operator's direction. */
export function warningProblem(rule: { operator: Operator; warning: number | null; threshold: number }): string | null {
  const { operator, warning, threshold } = rule;
  if (warning === null) return null;
  const rising = operator === '>' || operator === '>=';
  if (rising && !(warning < threshold)) {
    return `warning (${warning}) must be below threshold (${threshold}) with operator "${operator}": the value rises through the warning level before it reaches the alert level`;
  }
  if (!rising && !(warning > threshold)) {
    return `warning (${warning}) must be above threshold (${threshold}) with operator "${operator}": the value falls through the warning level before it reaches the alert level`;
  }
  return null;
}

// ── channels ─────────────────────────────────────────────────────────────────────────────────────

const httpUrl = (what: string) =>
  z.string({ message: `${what} is required` }).refine(
    (u) => {
      try {
        const p = new URL(u).protocol;
        return p === 'http:' || p === 'https:';
      } catch {
        return false;
      }
    },
    { message: `${what} must be an http:// or https:// URL` },
  );

export const webhookConfigSchema = z.strictObject({
  url: httpUrl('config.url'),
  secret: z
    .string({ message: 'config.secret is required: a random string of at least 16 characters (e.g. `openssl rand -hex 32`) that your receiver uses to verify x-assay-signature' })
    .min(16, 'config.secret must be at least 16 characters (e.g. `openssl rand -hex 32`)')
    .max(512),
  headers: z.record(z.string(), z.string()).optional(),
});

export const slackConfigSchema = z.strictObject({ url: httpUrl('config.url (the incoming-webhook URL)') });

export const emailConfigSchema = z.strictObject({
  to: z
    .array(z.email({ message: 'each recipient in config.to must be an email address' }), { message: 'config.to is required: a list of email addresses' })
    .min(1, 'config.to needs at least one recipient')
    .max(50),
  subject_prefix: z.string().max(100).optional(),
});

export const CONFIG_SCHEMAS = { webhook: webhookConfigSchema, slack: slackConfigSchema, email: emailConfigSchema } as const;

export const channelCreateSchema = z.strictObject({
  name: z.string({ message: 'name is required: a label for the channel' }).trim().min(1, 'name cannot be empty').max(200),
  type: z.enum(CHANNEL_TYPES, { message: `type must be one of ${CHANNEL_TYPES.join(', ')}` }),
  config: z.record(z.string(), z.unknown(), { message: 'config is required: an object (webhook: {url, secret}; slack: {url}; email: {to})' }),
  enabled: z.boolean().default(true),
});

export const channelPatchSchema = z.strictObject({
  name: z.string().trim().min(1, 'name cannot be empty').max(200).optional(),
  /** Merged into the stored config: send only what changes. */
  config: z.record(z.string(), z.unknown(), { message: 'config must be an object' }).optional(),
  enabled: z.boolean({ message: 'enabled must be true or false' }).optional(),
});
