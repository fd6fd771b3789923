/** The shapes of /api/datasets (packages/assay/src/datasets/types.ts). */
export interface Dataset {
  id: string;
  name: string;
  description: string | null;
  metadata: Record<string, unknown> | null;
  version: number;
  items: number;
  created_at: number;
  updated_at: number;
}

export interface DatasetItem {
  id: string;
  input: { messages: { role: string; content?: unknown }[] } | { vars: Record<string, unknown> };
  expected: unknown;
  assert: { type: string; [k: string]: unknown }[] | null;
  metadata: Record<string, unknown> | null;
  source: { trace_id: string; observation_id: string | null } | null;
  version: number;
  created_at: number;
  updated_at: number;
}

export interface DatasetVersion {
  version: number;
  origin: string;
  author: string | null;
  added: number;
  updated: number;
  removed: number;
  items: number;
  created_at: number;
}

export interface WriteResult {
  version: number;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  ids: string[];
}

export const datasetPath = (name: string) => `/api/datasets/${encodeURIComponent(name)}`;
export const datasetHref = (name: string) => `/datasets/${encodeURIComponent(name)}`;

/** One line of text for any JSON value. */
export function short(v: unknown, max = 160): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** An item's input in one line: its variables, or its last message. */
export function inputSummary(input: DatasetItem['input']): string {
  if ('vars' in input) return Object.entries(input.vars).map(([k, v]) => `${k}=${short(v, 60)}`).join(', ');
  const last = input.messages[input.messages.length - 1];
  if (!last) return '';
  const c = last.content;
  const text = typeof c === 'string' ? c : Array.isArray(c) ? c.map((p: { text?: string }) => p.text ?? '').join(' ') : short(c);
  return `${last.role}: ${text}`;
}
