/** Budgets: a spend or token limit per key, user or tag over a calendar window, enforced by the gateway. */
import { z } from 'zod';

export const BUDGET_SCOPES = ['key', 'user', 'tag'] as const;
export const BUDGET_WINDOWS = ['day', 'week', 'month'] as const;

/** The fields, without defaults (a PATCH must not reset what it does not name). */
export const budgetFieldsSchema = z.strictObject({
  name: z.string({ message: 'name is required' }).min(1).max(200),
  scope: z.enum(BUDGET_SCOPES, { message: 'scope must be key, user or tag' }),
  /** The key id, user id or tag; omit to give every key/user/tag its own budget of this size. */
  subject: z.string().min(1).max(500).nullable().optional(),
  metric: z.enum(['cost', 'tokens'], { message: 'metric must be cost (USD) or tokens' }),
  limit: z.number({ message: 'limit must be a number' }).positive(),
  window: z.enum(BUDGET_WINDOWS, { message: 'window must be day, week or month' }),
  action: z.enum(['block', 'reroute'], { message: 'action must be block or reroute' }),
  /** The model or route calls go to once the budget is spent (action reroute). */
  reroute_to: z.string().min(1).nullable().optional(),
  /** Alert channels told when the budget is exhausted. */
  channels: z.array(z.string().min(1)),
  enabled: z.boolean(),
});

export const budgetInputSchema = budgetFieldsSchema
  .extend({
    action: budgetFieldsSchema.shape.action.default('block'),
    channels: budgetFieldsSchema.shape.channels.default([]),
    enabled: budgetFieldsSchema.shape.enabled.default(true),
  })
  .superRefine((b, ctx) => {
    if (b.action === 'reroute' && !b.reroute_to) {
      ctx.addIssue({ code: 'custom', path: ['reroute_to'], message: 'action reroute needs reroute_to: the (cheaper) model or route to send calls to' });
    }
    if (b.action === 'block' && b.reroute_to) {
      ctx.addIssue({ code: 'custom', path: ['reroute_to'], message: 'reroute_to is only used with action reroute' });
    }
  });

export type BudgetInput = z.infer<typeof budgetInputSchema>;

export interface Budget {
  id: string;
  project_id: string;
  name: string;
  scope: (typeof BUDGET_SCOPES)[number];
  subject: string | null;
  metric: 'cost' | 'tokens';
  limit: number;
  window: (typeof BUDGET_WINDOWS)[number];
  action: 'block' | 'reroute';
  reroute_to: string | null;
  channels: string[];
  enabled: boolean;
  created_at: number;
  updated_at: number;
}

/** Start and end (epoch ms, UTC) of the calendar window containing `now`; weeks start on Monday. */
export function windowBounds(window: Budget['window'], now: number): { start: number; end: number } {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (window === 'month') return { start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1) };
  const dayStart = Date.UTC(y, m, d.getUTCDate());
  if (window === 'day') return { start: dayStart, end: dayStart + 86_400_000 };
  const sinceMonday = (d.getUTCDay() + 6) % 7;
  const start = dayStart - sinceMonday * 86_400_000;
  return { start, end: start + 7 * 86_400_000 };
}
