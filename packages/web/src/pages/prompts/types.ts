/** The shapes of /api/prompts (packages/assay/src/prompts/types.ts, diff.ts, render.ts). */
export interface PromptMessage {
  role: string;
  content: string;
}
export type ChatItem = PromptMessage | { type: 'placeholder'; name: string };

export interface PromptSummary {
  name: string;
  type: 'text' | 'chat';
  tags: string[];
  latest_version: number;
  labels: Record<string, number>;
  created_at: number;
  updated_at: number;
}

export interface PromptVersion {
  name: string;
  version: number;
  type: 'text' | 'chat';
  prompt: string | ChatItem[];
  config: Record<string, unknown>;
  labels: string[];
  tags: string[];
  variables: string[];
  commit_message: string | null;
  created_by: string | null;
  created_at: number;
}

/** A version in the list: metadata only (the template comes with GET …/versions/:v). */
export interface VersionMeta {
  version: number;
  commit_message: string | null;
  created_by: string | null;
  created_at: number;
  labels: string[];
}

export interface PromptDetail extends PromptSummary {
  versions: VersionMeta[];
  next_cursor: string | null;
}

export interface DiffLine {
  op: '=' | '+' | '-';
  text: string;
}

export interface PromptDiff {
  name: string;
  from: number;
  to: number;
  type: { from: string; to: string };
  lines?: DiffLine[];
  messages?: { status: 'same' | 'changed' | 'added' | 'removed'; from: ChatItem | null; to: ChatItem | null; lines?: DiffLine[] }[];
  config: { path: string; op: 'added' | 'removed' | 'changed'; from?: unknown; to?: unknown }[];
  changed: boolean;
  unified: string;
}

export interface Rendered {
  name: string;
  version: number;
  messages: { role: string; content?: unknown }[];
  text: string | null;
  config: Record<string, unknown>;
}

export const promptPath = (name: string) => `/api/prompts/${encodeURIComponent(name)}`;
export const promptHref = (name: string) => `/prompts/${encodeURIComponent(name)}`;

/** A path segment as the name (wouter leaves %2F encoded); the raw text when it does not decode. */
export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
