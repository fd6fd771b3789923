/**
 * What a queue's annotations add up to: agreement per question (Krippendorff's α, Fleiss' κ and
 * Cohen's κ per annotator pair, from feedback/agreement), the items whose annotators disagree,
 * adjudication (an admin's final label, kept apart from the annotations), each item's label
 * (adjudicated, else the majority with its share), and promotion of labelled items to a dataset.
 */
import { agreementReport, krippendorffAlpha, type AgreementReport, type Annotation as Rating, type Level } from '../agreement/index.js';
import { badRequest } from '../../errors.js';
import { checkAnswer, comparable } from './answers.js';
import type { QueueService } from './service.js';
import type { Adjudication, Annotation, CorrectionAnswer, PairwiseAnswer, Question, Queue, QueueItem } from './types.js';

export interface QuestionAgreement {
  question: string;
  kind: Question['kind'];
  level: Level | null;
  report: AgreementReport | null;
  /** Rating questions: α on the interval scale too (the report is ordinal). */
  interval_alpha?: number | null;
  reason: string | null;
}

function levelOf(q: Question): { level: Level; categories?: (string | number | boolean)[] } | null {
  switch (q.kind) {
    case 'rating':
      return { level: 'ordinal' };
    case 'categorical':
      return { level: 'nominal', categories: q.options };
    case 'boolean':
      return { level: 'nominal' };
    case 'pairwise':
      return { level: 'nominal', categories: ['a', 'b', 'tie'] };
    case 'correction':
      return { level: 'nominal' };
    default:
      return null;
  }
}

function ratingsOf(q: Question, annotations: readonly Annotation[]): Rating[] {
  const out: Rating[] = [];
  for (const a of annotations) {
    const v = comparable(q, a.answers[q.id]);
    if (v !== null) out.push({ item: a.item_id, annotator: a.annotator, value: v });
  }
  return out;
}

/** Agreement per question (text and ranking questions have none: reason says so). */
export async function agreement(svc: QueueService, q: Queue, questionId?: string): Promise<{ queue: string; annotators: Record<string, string | null>; questions: QuestionAgreement[] }> {
  const annotations = await svc.repo.annotations(q.id);
  const questions = questionId ? q.questions.filter((x) => x.id === questionId) : q.questions;
  if (questionId && !questions.length) throw badRequest(`queue ${q.name} has no question "${questionId}"`, 'question');
  const names: Record<string, string | null> = {};
  for (const a of annotations) names[a.annotator] = a.annotator_name;
  const out = questions.map((question): QuestionAgreement => {
    const lv = levelOf(question);
    if (!lv) return { question: question.id, kind: question.kind, level: null, report: null, reason: `${question.kind} answers have no agreement statistic` };
    const ratings = ratingsOf(question, annotations);
    try {
      const report = agreementReport(ratings, lv);
      const res: QuestionAgreement = { question: question.id, kind: question.kind, level: lv.level, report, reason: null };
      if (question.kind === 'rating') {
        const annotators = report.annotators;
        const byItem = new Map<string, Map<string, number>>();
        for (const r of ratings) {
          if (!byItem.has(r.item)) byItem.set(r.item, new Map());
          byItem.get(r.item)!.set(r.annotator, r.value as number);
        }
        const units = [...byItem.values()].map((m) => annotators.map((who) => m.get(who) ?? null));
        res.interval_alpha = krippendorffAlpha(units, 'interval').alpha;
      }
      return res;
    } catch (err) {
      return { question: question.id, kind: question.kind, level: lv.level, report: null, reason: (err as Error).message };
    }
  });
  return { queue: q.id, annotators: names, questions: out };
}

export interface Disagreement {
  item_id: string;
  question: string;
  values: { annotator: string; annotator_name: string | null; value: unknown }[];
  adjudicated: { value: unknown; note: string | null; author: string | null } | null;
}

/** Items where the annotators of a question gave different answers (unadjudicated only, unless `all`). */
export async function disagreements(svc: QueueService, q: Queue, questionId: string | undefined, all: boolean): Promise<Disagreement[]> {
  const questions = questionId ? q.questions.filter((x) => x.id === questionId) : q.questions.filter((x) => levelOf(x) !== null);
  if (questionId && !questions.length) throw badRequest(`queue ${q.name} has no question "${questionId}"`, 'question');
  const annotations = await svc.repo.annotations(q.id);
  const adj = new Map((await svc.repo.adjudications(q.id)).map((a) => [`${a.item_id}\u0000${a.question}`, a]));
  const byItem = groupByItem(annotations);
  const out: Disagreement[] = [];
  for (const [itemId, list] of byItem) {
    for (const question of questions) {
      const answered = list.filter((a) => a.answers[question.id] !== undefined);
      const labels = new Set(answered.map((a) => JSON.stringify(comparable(question, a.answers[question.id]))));
      if (answered.length < 2 || labels.size < 2) continue;
      const j = adj.get(`${itemId}\u0000${question.id}`);
      if (j && !all) continue;
      out.push({
        item_id: itemId,
        question: question.id,
        values: answered.map((a) => ({ annotator: a.annotator, annotator_name: a.annotator_name, value: a.answers[question.id] })),
        adjudicated: j ? { value: j.value, note: j.note, author: j.author } : null,
      });
    }
  }
  return out;
}

export const groupByItem = (annotations: readonly Annotation[]) => {
  const m = new Map<string, Annotation[]>();
  for (const a of annotations) {
    if (!m.has(a.item_id)) m.set(a.item_id, []);
    m.get(a.item_id)!.push(a);
  }
  return m;
};

/**
 * An admin's final answer to a question on an item. The value is given as an annotator would answer;
 * a pairwise value names the underlying outputs ("a", "b" or "tie") since the adjudicator is not blind.
 */
export async function adjudicate(svc: QueueService, q: Queue, item: QueueItem, body: { question: string; value: unknown; note?: string | null }, author: string): Promise<Adjudication> {
  const question = q.questions.find((x) => x.id === body.question);
  if (!question) throw badRequest(`queue ${q.name} has no question "${body.question}"`, 'question', 'unknown_question');
  let value: unknown;
  if (question.kind === 'pairwise') {
    if (!['a', 'b', 'tie'].includes(body.value as string)) throw badRequest(`adjudicating pairwise question "${question.id}": value must be "a", "b" or "tie" (the item's outputs in source order)`, 'value', 'invalid_answer');
    const winner = body.value as PairwiseAnswer['winner'];
    if (item.content.outputs.length !== 2) throw badRequest(`item ${item.id} is not a pair`, 'value', 'invalid_answer');
    value = { winner, variant: winner === 'tie' ? null : item.content.outputs[winner === 'a' ? 0 : 1].variant, choice: null, strength: null };
  } else {
    const shown = item.kind === 'multi' ? item.content.outputs.map((_, i) => i) : null; // not blind: positions are source order
    value = checkAnswer(question, body.value, item.content, shown);
  }
  const a: Adjudication = { item_id: item.id, question: question.id, queue_id: q.id, value, note: body.note ?? null, author, created_at: Date.now() };
  await svc.repo.adjudicate(a);
  return a;
}

export interface ItemLabel {
  value: unknown;
  /** Share of the item's annotators who gave this answer (1 when adjudicated). */
  agreement: number;
  annotations: number;
  adjudicated: boolean;
}

/** The label of a question on an item: the adjudication, else the most common answer (ties: the latest). */
export function labelOf(question: Question, list: readonly Annotation[], adj: Adjudication | undefined): ItemLabel | null {
  const answered = list.filter((a) => a.answers[question.id] !== undefined);
  if (adj) return { value: adj.value, agreement: 1, annotations: answered.length, adjudicated: true };
  if (!answered.length) return null;
  const counts = new Map<string, { n: number; value: unknown; at: number }>();
  for (const a of answered) {
    const key = JSON.stringify(comparable(question, a.answers[question.id]) ?? a.answers[question.id]);
    const c = counts.get(key);
    counts.set(key, { n: (c?.n ?? 0) + 1, value: a.answers[question.id], at: Math.max(c?.at ?? 0, a.updated_at) });
  }
  const best = [...counts.values()].sort((x, y) => y.n - x.n || y.at - x.at)[0];
  return { value: best.value, agreement: best.n / answered.length, annotations: answered.length, adjudicated: false };
}

/** The expected output a label stands for: a correction's text, a pairwise winner's output, else the label. */
function expectedOf(question: Question, item: QueueItem, value: unknown): unknown {
  if (question.kind === 'correction') return (value as CorrectionAnswer).text;
  if (question.kind === 'pairwise') {
    const w = (value as PairwiseAnswer).winner;
    return w === 'tie' ? undefined : item.content.outputs[w === 'a' ? 0 : 1].output;
  }
  if (question.kind === 'ranking') return item.content.outputs[(value as number[])[0]].output;
  return value;
}

export interface PromoteDeps {
  writeItems(projectId: string, dataset: string, values: unknown[], author: string): Promise<{ version: number; added: number; updated: number; unchanged: number }>;
}

/** Labelled items → dataset items (input, expected = the label's output), upserted under stable ids. */
export async function promote(
  svc: QueueService, deps: PromoteDeps, q: Queue,
  body: { dataset: string; question?: string; min_agreement?: number }, author: string,
): Promise<{ dataset: string; version: number; promoted: number; added: number; updated: number; skipped: { item: string; reason: string }[] }> {
  const question = body.question
    ? q.questions.find((x) => x.id === body.question)
    : (q.questions.find((x) => x.kind === 'correction') ?? q.questions.find((x) => x.kind === 'pairwise'));
  if (!question) {
    throw badRequest(body.question ? `queue ${q.name} has no question "${body.question}"` : `queue ${q.name} has no correction or pairwise question: name the question whose answer becomes expected`, 'question');
  }
  if (question.kind === 'text') throw badRequest(`question "${question.id}" is free text: promote with a correction, pairwise, ranking, rating, categorical or boolean question`, 'question');
  const min = body.min_agreement ?? 0;
  const byItem = groupByItem(await svc.repo.annotations(q.id));
  const adj = new Map((await svc.repo.adjudications(q.id)).filter((a) => a.question === question.id).map((a) => [a.item_id, a]));
  const values: unknown[] = [];
  const skipped: { item: string; reason: string }[] = [];
  let after: { created_at: number; id: string } | undefined;
  for (;;) {
    const page = await svc.repo.items(q.id, { after, limit: 500 });
    if (!page.length) break;
    for (const item of page) {
      const label = labelOf(question, byItem.get(item.id) ?? [], adj.get(item.id));
      if (!label) continue;
      if (label.agreement < min) {
        skipped.push({ item: item.id, reason: `agreement ${label.agreement.toFixed(2)} is below ${min} (adjudicate it)` });
        continue;
      }
      if (!item.content.input) {
        skipped.push({ item: item.id, reason: 'the item has no input' });
        continue;
      }
      const expected = expectedOf(question, item, label.value);
      if (expected === undefined) {
        skipped.push({ item: item.id, reason: 'a tie has no preferred output' });
        continue;
      }
      values.push({
        id: `ann-${item.id}`,
        input: item.content.input,
        expected,
        metadata: { queue: q.name, queue_item: item.id, question: question.id, annotations: label.annotations, agreement: label.agreement, adjudicated: label.adjudicated },
        ...(item.content.trace_id ? { source: { trace_id: item.content.trace_id, observation_id: item.content.observation_id } } : {}),
      });
    }
    const last = page[page.length - 1];
    after = { created_at: last.created_at, id: last.id };
  }
  if (!values.length) throw badRequest(`nothing to promote from queue ${q.name}: no item has an answer to "${question.id}"${skipped.length ? ` that qualifies (${skipped[0].reason})` : ''}`, 'question', 'nothing_to_promote');
  const r = await deps.writeItems(q.project_id, body.dataset, values, author);
  return { dataset: body.dataset, version: r.version, promoted: values.length, added: r.added, updated: r.updated, skipped };
}
