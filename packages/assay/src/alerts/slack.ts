/**
 * Slack channel: an incoming-webhook message `{text, blocks}`. `text` carries everything (it is what
 * notifications and Slack-compatible receivers such as Mattermost show); blocks lay it out in Slack.
 */
import type { Dispatcher } from 'undici';
import { postBody, type Attempt } from './attempt.js';
import { formatNumber } from './evaluate.js';
import type { NotificationPayload, SlackConfig } from './types.js';

const EMOJI: Record<string, string> = { ALERT: ':red_circle:', WARNING: ':large_orange_circle:', NO_DATA: ':white_circle:', OK: ':large_green_circle:' };

/** Slack mrkdwn needs &, < and > escaped. */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function slackMessage(payload: NotificationPayload): { text: string; blocks: unknown[] } {
  const emoji = payload.kind === 'test' ? ':information_source:' : (EMOJI[payload.state] ?? '');
  const text = `${emoji} *${esc(payload.title)}*\n${esc(payload.message)}`;
  const context = [
    `state: *${payload.state}*${payload.previous_state && payload.previous_state !== payload.state ? ` (was ${payload.previous_state})` : ''}`,
    payload.value !== null ? `value: ${formatNumber(payload.value)}` : null,
    `at ${payload.at}`,
    `key \`${payload.dedupe_key}\``,
  ].filter((x): x is string => x !== null);
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] },
  ];
  if (payload.url) {
    blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in Assay' }, url: payload.url }] });
  }
  return { text, blocks };
}

export async function sendSlack(config: SlackConfig, payload: NotificationPayload, timeoutMs: number, dispatcher?: Dispatcher): Promise<Attempt> {
  const headers = { 'content-type': 'application/json', 'user-agent': 'assay-alerts/1' };
  return postBody(config.url, JSON.stringify(slackMessage(payload)), headers, timeoutMs, dispatcher);
}
