/**
 * Delivery: one notification to a set of channels, in parallel. Each delivery has a timeout per
 * attempt and one retry when the failure may pass (timeout, connection error, 429, 5xx). A channel
 * that fails MAX_CONSECUTIVE_FAILURES deliveries in a row is disabled and says why; a success
 * resets its counter.
 */
import type { AlertsRepo } from '../store/alerts.js';
import type { Dispatcher } from 'undici';
import { findRefusal } from '../tools/http/ssrf.js';
import { origin, type Attempt } from './attempt.js';
import type { ReceiverGuard } from './receiver.js';
import { sendSlack } from './slack.js';
import { MAX_CONSECUTIVE_FAILURES, type Channel, type DeliveryResult, type EmailConfig, type NotificationPayload, type SlackConfig, type WebhookConfig } from './types.js';
import { sendWebhook } from './webhook.js';

export interface Senders {
  webhook: (config: WebhookConfig, payload: NotificationPayload, timeoutMs: number, dispatcher?: Dispatcher) => Promise<Attempt>;
  slack: (config: SlackConfig, payload: NotificationPayload, timeoutMs: number, dispatcher?: Dispatcher) => Promise<Attempt>;
  email: (config: EmailConfig, payload: NotificationPayload, timeoutMs: number) => Promise<Attempt>;
}

export interface NotifierOptions {
  repo: AlertsRepo;
  email: Senders['email'];
  /** Where webhook and Slack deliveries may go (checked before each attempt). */
  guard: ReceiverGuard;
  /** Replace the HTTP senders (tests). */
  senders?: Partial<Senders>;
  timeoutMs?: number;
  retryDelayMs?: number;
  now?: () => number;
  log?: (msg: string) => void;
}

export class Notifier {
  private readonly senders: Senders;
  private readonly timeoutMs: number;
  private readonly retryDelayMs: number;
  private readonly now: () => number;
  private readonly log: (msg: string) => void;

  constructor(private readonly opts: NotifierOptions) {
    this.senders = { webhook: sendWebhook, slack: sendSlack, email: opts.email, ...opts.senders };
    this.timeoutMs = opts.timeoutMs ?? 5_000;
    this.retryDelayMs = opts.retryDelayMs ?? 500;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => undefined);
  }

  /** Sends to each listed channel of the project; missing or disabled channels are reported, not sent to. */
  async deliverAll(projectId: string, channelIds: readonly string[], payload: NotificationPayload): Promise<DeliveryResult[]> {
    const ids = [...new Set(channelIds)];
    const channels = new Map((await this.opts.repo.getChannels(projectId, ids)).map((c) => [c.id, c]));
    return Promise.all(
      ids.map((id) => {
        const ch = channels.get(id);
        if (!ch) return Promise.resolve(skipped(id, null, `no channel ${id} in this project (it was deleted?)`));
        if (!ch.enabled) return Promise.resolve(skipped(id, ch, `channel is disabled: ${ch.disabled_reason ?? 'disabled by a user'}`));
        return this.deliver(ch, payload);
      }),
    );
  }

  /** One delivery (with its retry), counted on the channel. */
  async deliver(channel: Channel, payload: NotificationPayload): Promise<DeliveryResult> {
    let attempt: Attempt = { ok: false, status: null, error: 'not sent', retryable: false };
    let attempts = 0;
    for (; attempts < 2; ) {
      attempts++;
      attempt = await this.send(channel, payload);
      if (attempt.ok || !attempt.retryable || attempts === 2) break;
      await new Promise((r) => setTimeout(r, this.retryDelayMs));
    }
    const at = this.now();
    const result: DeliveryResult = {
      channel_id: channel.id,
      channel_name: channel.name,
      type: channel.type,
      ok: attempt.ok,
      attempts,
      status: attempt.status,
      error: attempt.error,
      disabled: false,
    };
    try {
      if (attempt.ok) {
        await this.opts.repo.recordDeliverySuccess(channel.id, at);
      } else {
        const reason =
          `disabled at ${new Date(at).toISOString()} after ${MAX_CONSECUTIVE_FAILURES} consecutive failed deliveries; ` +
          `last error: ${attempt.error}. Fix the receiver, then PATCH /api/channels/${channel.id} {"enabled": true}`;
        const counted = await this.opts.repo.recordDeliveryFailure(channel.id, at, attempt.error ?? 'unknown error', MAX_CONSECUTIVE_FAILURES, reason);
        result.disabled = counted.disabled;
        if (counted.disabled) this.log(`alert channel ${channel.name} (${channel.id}) ${reason}`);
      }
    } catch (err) {
      this.log(`alert channel ${channel.id}: could not record the delivery outcome: ${(err as Error).message}`);
    }
    return result;
  }

  private async send(channel: Channel, payload: NotificationPayload): Promise<Attempt> {
    try {
      switch (channel.type) {
        case 'webhook':
        case 'slack': {
          const { url } = channel.config as WebhookConfig | SlackConfig;
          const refused = await this.refusal(url);
          if (refused) return refused;
          const send = channel.type === 'webhook' ? this.senders.webhook : this.senders.slack;
          return await send(channel.config as WebhookConfig, payload, this.timeoutMs, this.opts.guard.dispatcher(url));
        }
        case 'email':
          return await this.senders.email(channel.config as EmailConfig, payload, this.timeoutMs);
      }
    } catch (err) {
      return { ok: false, status: null, error: (err as Error).message, retryable: true };
    }
  }

  /** A failed attempt when the receiver is refused now (its name may resolve elsewhere than at creation). */
  private async refusal(url: string): Promise<Attempt | null> {
    try {
      await this.opts.guard.check(url);
      return null;
    } catch (err) {
      const refusal = findRefusal(err);
      if (!refusal) throw err;
      return { ok: false, status: null, error: `not sent to ${origin(url)}: ${refusal.message}`, retryable: false };
    }
  }
}

function skipped(id: string, ch: Channel | null, error: string): DeliveryResult {
  return { channel_id: id, channel_name: ch?.name ?? null, type: ch?.type ?? null, ok: false, attempts: 0, status: null, error, disabled: false };
}
