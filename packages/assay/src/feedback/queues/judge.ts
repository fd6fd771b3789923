/**
 * Model judge vs human labels on a queue: a scorer's scores on the items' traces (from an
 * experiment, an online evaluator or OTel evaluation events — any score by name that is not an
 * annotation) against the items' final human labels for a question (adjudication, else majority),
 * through feedback/agreement's judgeAgreement: κ/α, accuracy, confusion, and a verdict on whether
 * the judge can be trusted.
 */
import { badRequest } from '../../errors.js';
import type { ScoresRepo } from '../../store/scores.js';
import { judgeAgreement, type JudgeAgreement } from '../agreement/index.js';
import { groupByItem, labelOf } from './analysis.js';
import type { QueueService } from './service.js';
import type { Queue } from './types.js';

const MAX_ITEMS = 5_000;

export async function judgeVsHuman(svc: QueueService, scores: ScoresRepo, q: Queue, questionId: string, scoreName: string): Promise<JudgeAgreement & { question: string; score: string; items: number; unscored: number }> {
  const question = q.questions.find((x) => x.id === questionId);
  if (!question) throw badRequest(`queue ${q.name} has no question "${questionId}"`, 'question');
  if (question.kind !== 'rating' && question.kind !== 'boolean' && question.kind !== 'categorical') {
    throw badRequest(`question "${questionId}" is ${question.kind}: judge agreement needs a rating, boolean or categorical question`, 'question');
  }
  const byItem = groupByItem(await svc.repo.annotations(q.id));
  const adj = new Map((await svc.repo.adjudications(q.id)).filter((a) => a.question === questionId).map((a) => [a.item_id, a]));
  const human: { item: string; value: string | number }[] = [];
  const judge: { item: string; value: string | number }[] = [];
  let unscored = 0;
  let after: { created_at: number; id: string } | undefined;
  let seen = 0;
  while (seen < MAX_ITEMS) {
    const page = await svc.repo.items(q.id, { after, limit: 500 });
    if (!page.length) break;
    for (const item of page) {
      seen++;
      const label = labelOf(question, byItem.get(item.id) ?? [], adj.get(item.id));
      const traceId = item.content.trace_id;
      if (!label || !traceId) continue;
      const found = (await scores.list({ projectId: q.project_id, traceId, name: scoreName }, 20)).data.filter((s) => s.source !== 'annotation');
      const s = found[0];
      if (!s) {
        unscored++;
        continue;
      }
      const h = question.kind === 'boolean' ? String(label.value === true) : question.kind === 'rating' ? Number(label.value) : String(label.value);
      const j =
        question.kind === 'boolean' ? String(s.data_type === 'BOOLEAN' ? s.value === 1 : (s.value ?? 0) >= 0.5)
        : question.kind === 'rating' ? Number(s.value)
        : String(s.string_value ?? s.value);
      human.push({ item: item.id, value: h });
      judge.push({ item: item.id, value: j });
    }
    const last = page[page.length - 1];
    after = { created_at: last.created_at, id: last.id };
  }
  const level = question.kind === 'rating' ? 'interval' : 'nominal';
  const r = judgeAgreement(human, judge, { level });
  return { ...r, question: questionId, score: scoreName, items: human.length, unscored };
}
