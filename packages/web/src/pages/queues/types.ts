/** Wire shapes of /api/queues (docs/annotation.md) and small helpers shared by the queue pages. */
import { safeDecode } from '../prompts/types';

export { safeDecode };

export type Question =
  | { id: string; prompt: string; required?: boolean; kind: 'rating'; min: number; max: number; labels?: Record<string, string> }
  | { id: string; prompt: string; required?: boolean; kind: 'categorical'; options: string[] }
  | { id: string; prompt: string; required?: boolean; kind: 'boolean' }
  | { id: string; prompt: string; required?: boolean; kind: 'text' }
  | { id: string; prompt: string; required?: boolean; kind: 'correction' }
  | { id: string; prompt: string; required?: boolean; kind: 'pairwise'; allow_tie: boolean; strength: boolean }
  | { id: string; prompt: string; required?: boolean; kind: 'ranking'; n?: number };
export type QuestionKind = Question['kind'];
export const KINDS: QuestionKind[] = ['rating', 'categorical', 'boolean', 'text', 'correction', 'pairwise', 'ranking'];

export interface Queue {
  id: string;
  name: string;
  description: string | null;
  questions: Question[];
  overlap: number;
  annotators: string[] | null;
  created_at: number;
  updated_at: number;
}

export interface Progress {
  items: number;
  complete: number;
  remaining: number;
  overlap: number;
  annotators: { id: string; name: string | null; done: number; assigned: number }[];
}

export interface ChatMsg {
  role: string;
  content?: unknown;
  tool_calls?: unknown;
}
export type ItemInput = { messages: ChatMsg[] } | { vars: Record<string, unknown> } | null;

export interface ItemView {
  id: string;
  kind: 'single' | 'multi';
  input: ItemInput;
  output?: string | null;
  trace_id?: string | null;
  left?: string | null;
  right?: string | null;
  outputs?: { position: number; output: string | null }[];
}

export interface NextResponse {
  queue: string;
  questions: Question[];
  item: ItemView | null;
  lease_expires_at: number | null;
}

export interface Interp {
  band: string;
  range: string | null;
  text: string;
}
export interface AgreementReport {
  items: number;
  annotators: string[];
  annotations: number;
  alpha: { alpha: number | null; interpretation: Interp; reason?: string | null };
  fleiss: { kappa: number | null; interpretation: Interp } | null;
  pairs: { a: string; b: string; kappa: number | null; agreement: number; n: number; interpretation: Interp; reason: string | null }[];
  interpretation: string;
}
export interface QuestionAgreement {
  question: string;
  kind: QuestionKind;
  level: string | null;
  report: AgreementReport | null;
  interval_alpha?: number | null;
  reason: string | null;
}
export interface Disagreement {
  item_id: string;
  question: string;
  values: { annotator: string; annotator_name: string | null; value: unknown }[];
  adjudicated: { value: unknown; note: string | null; author: string | null } | null;
}

export const queuePath = (id: string) => `/api/queues/${encodeURIComponent(id)}`;
export const queueHref = (id: string) => `/queues/${encodeURIComponent(id)}`;

export function textOf(content: unknown): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p: { text?: string }) => (typeof p === 'string' ? p : (p?.text ?? ''))).join('');
  return JSON.stringify(content);
}

/** A stored answer as a short string (pairwise: the un-blinded winner, correction: its text). */
export function showValue(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('winner' in o) return `${o.winner}${o.variant ? ` (${o.variant})` : ''}`;
    if ('text' in o) return String(o.text);
    return JSON.stringify(v);
  }
  return String(v);
}

/** The value to send when adjudicating with an annotator's stored answer. */
export function adjudicationValue(q: Question | undefined, v: unknown): unknown {
  if (q?.kind === 'pairwise' && v && typeof v === 'object') return (v as { winner: string }).winner;
  if (q?.kind === 'correction' && v && typeof v === 'object') return (v as { text: string }).text;
  return v;
}

export interface DiffLine {
  op: ' ' | '-' | '+';
  line: string;
}

/** Line diff (LCS), as the server computes it for corrections. */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length * b.length > 1_000_000) return [...a.map((line) => ({ op: '-' as const, line })), ...b.map((line) => ({ op: '+' as const, line }))];
  const dp = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', line: a[i++] });
      j++;
    } else if (dp[i + 1][j] >= dp[i][j + 1]) out.push({ op: '-', line: a[i++] });
    else out.push({ op: '+', line: b[j++] });
  }
  while (i < a.length) out.push({ op: '-', line: a[i++] });
  while (j < b.length) out.push({ op: '+', line: b[j++] });
  return out;
}

export const fmtCoef = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toFixed(2));
