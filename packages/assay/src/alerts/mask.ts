/**
 * Secrets in channel configs (webhook secret and header values, the Slack webhook URL whose path is
 * its token) never leave the API in full: answers show a mask that keeps the last 4 characters.
 * A webhook URL (whose path or query often carries a token too) is shown in full to admin keys only.
 * A PATCH that sends a masked value back keeps the stored one.
 */
import type { Channel, ChannelConfig, ChannelType } from './types.js';

export function maskSecret(s: string): string {
  return s.length <= 8 ? '****' : `****${s.slice(-4)}`;
}

export function maskUrl(u: string): string {
  try {
    const url = new URL(u);
    const rest = url.pathname + url.search;
    return `${url.origin}/${maskSecret(rest)}`;
  } catch {
    return maskSecret(u);
  }
}

export function maskConfig(type: ChannelType, config: ChannelConfig, admin = false): Record<string, unknown> {
  const c = { ...(config as unknown as Record<string, unknown>) };
  if (type === 'webhook') {
    if (!admin && typeof c.url === 'string') c.url = maskUrl(c.url);
    if (typeof c.secret === 'string') c.secret = maskSecret(c.secret);
    if (c.headers && typeof c.headers === 'object') {
      c.headers = Object.fromEntries(Object.entries(c.headers as Record<string, string>).map(([k, v]) => [k, maskSecret(String(v))]));
    }
  }
  if (type === 'slack' && typeof c.url === 'string') c.url = maskUrl(c.url);
  return c;
}

/** A channel as the API shows it; `admin`: the key has the admin scope (sees webhook URLs in full). */
export function publicChannel(ch: Channel, admin = false): Omit<Channel, 'config'> & { config: Record<string, unknown> } {
  return { ...ch, config: maskConfig(ch.type, ch.config, admin) };
}

/** The stored config with a patch merged in; values sent back masked keep what was stored. */
export function mergeConfig(type: ChannelType, stored: ChannelConfig, patch: Record<string, unknown>): Record<string, unknown> {
  const old = stored as unknown as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...old, ...patch };
  if (type === 'webhook') {
    if (typeof old.secret === 'string' && patch.secret === maskSecret(old.secret)) merged.secret = old.secret;
    const oldHeaders = (old.headers ?? {}) as Record<string, string>;
    if (patch.headers && typeof patch.headers === 'object') {
      merged.headers = Object.fromEntries(
        Object.entries(patch.headers as Record<string, unknown>).map(([k, v]) => [k, k in oldHeaders && v === maskSecret(oldHeaders[k]) ? oldHeaders[k] : v]),
      );
    }
  }
  if (type === 'slack' && typeof old.url === 'string' && patch.url === maskUrl(old.url)) merged.url = old.url;
  return merged;
}
