/** A spent budget is logged and announced on the budget's alert channels (webhook, Slack, email). */
import type { AlertService } from '../alerts/service.js';
import type { BreachEvent } from './service.js';

export function notifyBudget(alerts: AlertService, e: BreachEvent, log: (msg: string) => void): void {
  const b = e.budget;
  const used = b.metric === 'cost' ? `$${e.used.toFixed(4)} of $${b.limit}` : `${Math.round(e.used)} of ${b.limit} tokens`;
  const then = b.action === 'block' ? 'calls are blocked with 429' : `calls go to ${b.reroute_to}`;
  const message = `Budget "${b.name}" is spent for ${b.scope} ${e.subject}: ${used} this ${b.window}; ${then} until ${new Date(e.windowEnd).toISOString()}.`;
  log(message);
  if (b.channels.length === 0) return;
  alerts
    .notify(b.project_id, b.channels, {
      kind: 'budget',
      dedupe_key: `budget:${b.id}:${e.subject}:${e.windowStart}`,
      state: 'ALERT',
      title: `Budget "${b.name}" spent`,
      message,
      details: {
        budget_id: b.id,
        budget: b.name,
        scope: b.scope,
        subject: e.subject,
        metric: b.metric,
        limit: b.limit,
        value: e.used,
        window: b.window,
        window_start: new Date(e.windowStart).toISOString(),
        window_end: new Date(e.windowEnd).toISOString(),
        action: b.action,
        reroute_to: b.reroute_to,
      },
    })
    .catch((err: Error) => log(`budget notice for "${b.name}" failed: ${err.message}`));
}
