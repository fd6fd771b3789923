/**
 * Handing a chat request to the playground: the body goes to sessionStorage (per tab, never in the
 * URL: prompts can be long and private) under a random key, and the link is `/playground?draft=<key>`.
 */
const PREFIX = 'assay.playground.draft.';

/** Request fields a prompt's config may carry that the playground sends as they are. */
export const REQUEST_PARAMS = [
  'temperature', 'max_tokens', 'max_completion_tokens', 'top_p', 'stop', 'seed', 'frequency_penalty', 'presence_penalty',
  'response_format', 'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning_effort', 'logit_bias', 'n',
] as const;

export interface Handoff {
  request: Record<string, unknown>;
  /** What it came from, shown above the form ("prompt support/answer v3"). */
  source: string;
}

export function handToPlayground(h: Handoff): string {
  const key = Math.random().toString(36).slice(2, 10);
  sessionStorage.setItem(PREFIX + key, JSON.stringify(h));
  return `/playground?draft=${key}`;
}

/** The request stored under `key`, or null when it is gone (another tab, cleared storage). */
export function takeDraft(key: string): Handoff | null {
  try {
    const v = JSON.parse(sessionStorage.getItem(PREFIX + key) ?? 'null') as Handoff | null;
    return v && typeof v.request === 'object' && v.request !== null ? v : null;
  } catch {
    return null;
  }
}
