/**
 * Email channel: a plain-text message over SMTP (nodemailer), through `alerts.smtp` in the config.
 * Notices of one episode share a Message-ID root in References, so mail clients thread them.
 */
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { AssayConfig } from '../config/schema.js';
import type { Attempt } from './attempt.js';
import { describeFilters, formatNumber } from './evaluate.js';
import type { EmailConfig, NotificationPayload } from './types.js';

export type SmtpConfig = NonNullable<AssayConfig['alerts']['smtp']>;

export function emailMessage(config: EmailConfig, payload: NotificationPayload): { subject: string; text: string; thread: string } {
  const prefix = config.subject_prefix ?? '[Assay]';
  const lines = [payload.message, '', `State: ${payload.state}${payload.previous_state ? ` (was ${payload.previous_state})` : ''}`];
  if (payload.value !== null) lines.push(`Value: ${formatNumber(payload.value)}`);
  if (payload.rule) {
    const r = payload.rule;
    lines.push(
      `Rule: ${r.name} (${r.id})`,
      `Condition: ${r.metric}${describeFilters(r.filters)} over ${r.window_s} s ${r.operator} ${formatNumber(r.threshold)}${r.warning !== null ? ` (warning at ${formatNumber(r.warning)})` : ''}`,
    );
  }
  if (payload.details) lines.push(`Details: ${JSON.stringify(payload.details)}`);
  lines.push(`At: ${payload.at}`, `Dedupe key: ${payload.dedupe_key}`);
  if (payload.url) lines.push('', payload.url);
  const thread = `<${payload.dedupe_key.replace(/[^A-Za-z0-9._-]/g, '.')}@assay.alerts>`;
  return { subject: `${prefix} ${payload.title}`, text: lines.join('\n') + '\n', thread };
}

export class EmailSender {
  private transport: Transporter | null = null;

  constructor(private readonly smtp: SmtpConfig | undefined) {}

  get configured(): boolean {
    return this.smtp !== undefined;
  }

  send = async (config: EmailConfig, payload: NotificationPayload, timeoutMs: number): Promise<Attempt> => {
    if (!this.smtp) {
      return { ok: false, status: null, error: 'email is not configured: set alerts.smtp (host, port, from …) in the config file', retryable: false };
    }
    this.transport ??= nodemailer.createTransport({
      host: this.smtp.host,
      port: this.smtp.port,
      secure: this.smtp.secure,
      auth: this.smtp.user ? { user: this.smtp.user, pass: this.smtp.password ?? '' } : undefined,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
    const { subject, text, thread } = emailMessage(config, payload);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`no answer from ${this.smtp!.host}:${this.smtp!.port} within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    });
    try {
      await Promise.race([
        this.transport.sendMail({
          from: this.smtp.from,
          to: config.to,
          subject,
          text,
          references: thread,
          headers: { 'X-Assay-Dedupe-Key': payload.dedupe_key, 'X-Assay-Event': payload.kind },
        }),
        timeout,
      ]);
      return { ok: true, status: 250, error: null, retryable: false };
    } catch (err) {
      const e = err as Error & { responseCode?: number; code?: string };
      const code = typeof e.responseCode === 'number' ? e.responseCode : null;
      return {
        ok: false,
        status: code,
        error: `SMTP ${this.smtp.host}:${this.smtp.port}: ${e.message}`,
        // 5xx SMTP replies are permanent (bad recipient, rejected); the rest may pass next time.
        retryable: code === null || code < 500,
      };
    } finally {
      clearTimeout(timer);
    }
  };

  close(): void {
    this.transport?.close();
    this.transport = null;
  }
}
