/**
 * Webhook channel: POST the payload as JSON, signed. The receiver checks
 *   x-assay-signature: sha256=<hex HMAC-SHA256(secret, "<x-assay-timestamp>.<raw body>")>
 * and that x-assay-timestamp (Unix seconds) is recent, which stops replays (docs/alerts.md).
 */
import { createHmac } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { postBody, type Attempt } from './attempt.js';
import type { NotificationPayload, WebhookConfig } from './types.js';

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function webhookRequest(config: WebhookConfig, payload: NotificationPayload, nowMs = Date.now()): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(payload);
  const timestamp = String(Math.floor(nowMs / 1000));
  return {
    body,
    headers: {
      ...(config.headers ?? {}),
      'content-type': 'application/json',
      'user-agent': 'assay-alerts/1',
      'x-assay-timestamp': timestamp,
      'x-assay-signature': signWebhook(config.secret, timestamp, body),
      'x-assay-event': payload.kind,
      'x-assay-dedupe-key': payload.dedupe_key,
    },
  };
}

export async function sendWebhook(config: WebhookConfig, payload: NotificationPayload, timeoutMs: number, dispatcher?: Dispatcher): Promise<Attempt> {
  const { body, headers } = webhookRequest(config, payload);
  return postBody(config.url, body, headers, timeoutMs, dispatcher);
}
