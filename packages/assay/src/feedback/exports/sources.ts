/**
 * Training records from annotations: preferences from pairwise judgements (A / B / tie with an
 * optional strength) and from rating gaps (best vs worst output of a prompt, margin = the gap),
 * SFT examples and preferences from corrections, and unpaired (KTO) records from preferences.
 * Ids are given or derived from a hash of the content, so re-running an export keeps every
 * record's id, and with it its train/test split.
 */
import { createHash } from 'node:crypto';
import type { ChatMessage } from '../../gateway/types.js';
import type { CompletionRecord, Conversation, PreferenceRecord, Provenance } from './types.js';

/** `prefix_` + 16 hex digits of sha256 over the JSON of the parts. */
export function contentId(prefix: string, ...parts: unknown[]): string {
  return `${prefix}_${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16)}`;
}

const union = (a: string[] = [], b: string[] = []): string[] => [...new Set([...a, ...b])];

/** The provenance of a record built from two annotated outputs: ids unioned, the weaker agreement. */
export function mergeProvenance(a: Provenance, b: Provenance): Provenance {
  const out: Provenance = { trace_ids: union(a.trace_ids, b.trace_ids), annotators: union(a.annotators, b.annotators) };
  if (a.observation_ids || b.observation_ids) out.observation_ids = union(a.observation_ids, b.observation_ids);
  const agreements = [a.agreement, b.agreement].filter((x): x is number => typeof x === 'number');
  out.agreement = agreements.length ? Math.min(...agreements) : null;
  out.prompt_name = a.prompt_name ?? b.prompt_name ?? null;
  out.prompt_version = a.prompt_version ?? b.prompt_version ?? null;
  const queue = a.queue ?? b.queue;
  if (queue !== undefined) out.queue = queue;
  const question = a.question ?? b.question;
  if (question !== undefined) out.question = question;
  const times = [a.created_at, b.created_at].filter((x): x is number => typeof x === 'number');
  if (times.length) out.created_at = Math.max(...times);
  return out;
}

export interface RatedPrompt {
  id?: string;
  prompt: Conversation;
  outputs: { message: ChatMessage; rating: number; provenance: Provenance }[];
}

/**
 * Best vs worst output of each prompt, when the rating gap is at least `minGap` (and above 0);
 * margin = the gap. Among equal ratings the first output wins.
 */
export function preferencesFromRatings(items: readonly RatedPrompt[], options: { minGap?: number } = {}): PreferenceRecord[] {
  const minGap = options.minGap ?? 0;
  const out: PreferenceRecord[] = [];
  for (const item of items) {
    const rated = item.outputs.filter((o) => typeof o.rating === 'number' && Number.isFinite(o.rating));
    if (rated.length < 2) continue;
    let best = rated[0];
    let worst = rated[0];
    for (const o of rated) {
      if (o.rating > best.rating) best = o;
      if (o.rating < worst.rating) worst = o;
    }
    const gap = best.rating - worst.rating;
    if (!(gap > 0) || gap < minGap) continue;
    out.push({
      id: item.id ?? contentId('pref', item.prompt, best.message, worst.message),
      prompt: item.prompt,
      chosen: best.message,
      rejected: worst.message,
      margin: gap,
      source: 'rating_gap',
      provenance: mergeProvenance(best.provenance, worst.provenance),
    });
  }
  return out;
}

export interface PairwiseJudgement {
  id?: string;
  prompt: Conversation;
  a: ChatMessage;
  b: ChatMessage;
  verdict: 'A' | 'B' | 'tie';
  /** How strongly the winner is preferred; becomes the margin. */
  strength?: number;
  provenance: Provenance;
}

/** The winner as chosen, the loser as rejected; ties are dropped. */
export function preferencesFromPairwise(judgements: readonly PairwiseJudgement[]): PreferenceRecord[] {
  const out: PreferenceRecord[] = [];
  for (const j of judgements) {
    if (j.verdict !== 'A' && j.verdict !== 'B') continue;
    const [chosen, rejected] = j.verdict === 'A' ? [j.a, j.b] : [j.b, j.a];
    const rec: PreferenceRecord = {
      id: j.id ?? contentId('pref', j.prompt, chosen, rejected),
      prompt: j.prompt,
      chosen,
      rejected,
      source: 'pairwise',
      provenance: j.provenance,
    };
    if (typeof j.strength === 'number' && Number.isFinite(j.strength)) rec.margin = j.strength;
    out.push(rec);
  }
  return out;
}

export interface Correction {
  id?: string;
  prompt: Conversation;
  original: ChatMessage;
  corrected: ChatMessage;
  provenance: Provenance;
}

/**
 * Each correction gives an SFT example (the corrected answer, label true) and, when it differs
 * from the original, a preference corrected > original (no margin).
 */
export function sftFromCorrections(items: readonly Correction[]): { completions: CompletionRecord[]; preferences: PreferenceRecord[] } {
  const completions: CompletionRecord[] = [];
  const preferences: PreferenceRecord[] = [];
  for (const c of items) {
    const base = c.id ?? contentId('corr', c.prompt, c.original, c.corrected);
    completions.push({ id: `${base}:sft`, prompt: c.prompt, completion: c.corrected, label: true, source: 'correction', provenance: c.provenance });
    if (JSON.stringify(c.original) !== JSON.stringify(c.corrected)) {
      preferences.push({ id: `${base}:pref`, prompt: c.prompt, chosen: c.corrected, rejected: c.original, source: 'correction', provenance: c.provenance });
    }
  }
  return { completions, preferences };
}

/** Unpaired (KTO/BCO) records from preferences: chosen → label true, rejected → label false. */
export function unpairedFromPreferences(prefs: readonly PreferenceRecord[]): CompletionRecord[] {
  return prefs.flatMap((p): CompletionRecord[] => {
    const source = p.source === 'correction' ? 'correction' : 'rating';
    return [
      { id: `${p.id}:chosen`, prompt: p.prompt, completion: p.chosen, label: true, source, provenance: p.provenance },
      { id: `${p.id}:rejected`, prompt: p.prompt, completion: p.rejected, label: false, source, provenance: p.provenance },
    ];
  });
}
