/**
 * Answers: validated per question kind (a 400 that names the question and says what fits), blind
 * output orders (a seeded hash of item and annotator, so the same annotator always sees the same
 * order), un-blinding of pairwise and ranking answers, the line diff of a correction, and the
 * comparable label of a stored answer for agreement and disagreement.
 */
import { createHash } from 'node:crypto';
import { badRequest } from '../../errors.js';
import type { CorrectionAnswer, DiffLine, ItemContent, PairwiseAnswer, Question } from './types.js';

const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v)?.slice(0, 60));

function bad(q: Question, what: string): never {
  throw badRequest(`answer to question "${q.id}" (${q.kind}): ${what}`, `answers.${q.id}`, 'invalid_answer');
}

/** The order outputs are shown in to one annotator: a Fisher–Yates shuffle seeded by (item, annotator). */
export function shownOrder(itemId: string, annotator: string, n: number): number[] {
  const seed = createHash('sha256').update(`${itemId}\u0000${annotator}`).digest();
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = seed.readUInt32BE((i * 4) % 28) % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Line diff (LCS) of the original output and the correction. */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length * b.length > 4_000_000) return [...a.map((line) => ({ op: '-' as const, line })), ...b.map((line) => ({ op: '+' as const, line }))];
  const dp = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', line: a[i] });
      i++;
      j++;
    } else if (dp[i + 1][j] >= dp[i][j + 1]) out.push({ op: '-', line: a[i++] });
    else out.push({ op: '+', line: b[j++] });
  }
  while (i < a.length) out.push({ op: '-', line: a[i++] });
  while (j < b.length) out.push({ op: '+', line: b[j++] });
  return out;
}

/**
 * One answer as stored. `shown` is the output order this annotator saw (multi-output items);
 * pairwise and ranking answers name what was shown (left/right, positions 1…n) and are mapped back
 * to the underlying outputs here.
 */
export function checkAnswer(q: Question, raw: unknown, content: ItemContent, shown: number[] | null): unknown {
  switch (q.kind) {
    case 'rating': {
      if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < q.min || raw > q.max) bad(q, `must be a whole number from ${q.min} to ${q.max}, got ${show(raw)}`);
      return raw;
    }
    case 'categorical':
      if (typeof raw !== 'string' || !q.options.includes(raw)) bad(q, `must be one of ${q.options.map((o) => JSON.stringify(o)).join(', ')}, got ${show(raw)}`);
      return raw;
    case 'boolean':
      if (typeof raw !== 'boolean') bad(q, `must be true or false, got ${show(raw)}`);
      return raw;
    case 'text':
      if (typeof raw !== 'string' || raw.length > 100_000) bad(q, `must be a string (at most 100,000 characters), got ${show(raw)}`);
      return raw;
    case 'correction': {
      const text = typeof raw === 'string' ? raw : raw && typeof raw === 'object' ? (raw as { text?: unknown }).text : undefined;
      if (typeof text !== 'string' || text.length > 200_000) bad(q, `must be the corrected output as a string (or {"text": "…"}), got ${show(raw)}`);
      if (content.outputs.length !== 1) bad(q, 'a correction needs an item with one output (this item compares several)');
      const original = content.outputs[0].output ?? '';
      const answer: CorrectionAnswer = { text, diff: lineDiff(original, text), changed: text !== original };
      return answer;
    }
    case 'pairwise': {
      if (content.outputs.length !== 2 || !shown) bad(q, 'a pairwise question needs a pair item (two outputs)');
      const obj = typeof raw === 'string' ? { choice: raw } : raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : null;
      const choice = obj?.choice;
      const allowed = q.allow_tie ? ['left', 'right', 'tie'] : ['left', 'right'];
      if (typeof choice !== 'string' || !allowed.includes(choice)) bad(q, `choice must be ${allowed.map((a) => `"${a}"`).join(', ')} (as "${allowed[0]}" or {"choice": "${allowed[0]}"${q.strength ? ', "strength": 1–3' : ''}}), got ${show(choice ?? raw)}`);
      let strength: number | null = null;
      if (obj?.strength !== undefined) {
        if (!q.strength) bad(q, 'this question does not ask for a strength');
        if (typeof obj.strength !== 'number' || ![1, 2, 3].includes(obj.strength)) bad(q, `strength must be 1 (slightly), 2 (clearly) or 3 (much better), got ${show(obj.strength)}`);
        strength = obj.strength;
      } else if (q.strength && choice !== 'tie') bad(q, 'strength is required: 1 (slightly), 2 (clearly) or 3 (much better)');
      const winner: PairwiseAnswer['winner'] = choice === 'tie' ? 'tie' : shown[choice === 'left' ? 0 : 1] === 0 ? 'a' : 'b';
      const answer: PairwiseAnswer = {
        winner,
        variant: winner === 'tie' ? null : content.outputs[winner === 'a' ? 0 : 1].variant,
        choice: choice as PairwiseAnswer['choice'],
        strength,
      };
      return answer;
    }
    case 'ranking': {
      const n = content.outputs.length;
      if (n < 2 || !shown) bad(q, 'a ranking question needs an item with several outputs');
      if (q.n !== undefined && q.n !== n) bad(q, `the question ranks ${q.n} outputs but this item has ${n}`);
      const ok = Array.isArray(raw) && raw.length === n && raw.every((p) => Number.isInteger(p) && p >= 1 && p <= n) && new Set(raw).size === n;
      if (!ok) bad(q, `must list the shown positions 1…${n} best first, each once (e.g. [2, 1${n > 2 ? ', 3' : ''}]), got ${show(raw)}`);
      // positions as shown → indices into content.outputs, best first
      return (raw as number[]).map((p) => shown[p - 1]);
    }
  }
}

/** The label of a stored answer that agreement compares (null: not comparable, e.g. free text). */
export function comparable(q: Question, stored: unknown): string | number | boolean | null {
  if (stored === undefined || stored === null) return null;
  switch (q.kind) {
    case 'rating':
    case 'categorical':
    case 'boolean':
      return stored as string | number | boolean;
    case 'pairwise':
      return (stored as PairwiseAnswer).winner;
    case 'correction':
      return (stored as CorrectionAnswer).text;
    case 'ranking':
      return (stored as number[]).join('>');
    case 'text':
      return null;
  }
}
