/**
 * Training records from an annotation queue (docs/exports.md, "API and CLI"): each item's final
 * label per question (the adjudication, else the majority — feedback/queues/analysis.ts `labelOf`)
 * becomes records with provenance (traces, annotators, the share of annotators agreeing with the
 * label, the prompt name/version of the item's trace, queue, question):
 * pairwise → preferences (ties dropped, margin = mean strength of the winning side);
 * rating → rating-gap preferences across items with the same input, and unpaired completions
 * (label = mean rating ≥ the scale's midpoint); correction → SFT completions and corrected > original.
 */
import { badRequest } from '../../errors.js';
import type { ChatMessage, FunctionTool } from '../../gateway/types.js';
import type { Observation } from '../../tracing/span.js';
import { labelOf } from '../queues/analysis.js';
import type { QueueService } from '../queues/service.js';
import type { Annotation, CorrectionAnswer, PairwiseAnswer, Question, Queue, QueueItem } from '../queues/types.js';
import { contentId, preferencesFromPairwise, preferencesFromRatings, sftFromCorrections, unpairedFromPreferences, type Correction, type PairwiseJudgement, type RatedPrompt } from './sources.js';
import type { CompletionRecord, Conversation, ExportFormat, ExportRecord, PreferenceRecord, Provenance } from './types.js';

export interface QueueRecordsOptions {
  question?: string;
  /** Keep labels whose latest annotation (or adjudication) is at or after / before this epoch-ms time. */
  since?: number;
  until?: number;
  /** Rating gaps below this are not preferences (default 0: any gap above 0). */
  minGap?: number;
  projectId?: string;
  /** Reads a trace (prompt name/version, tools, and the prompt of items whose input is template vars). */
  getTrace?: (traceId: string, projectId: string) => Promise<Observation[]>;
}

export interface QueueRecords {
  queue: Queue;
  questions: Question[];
  preferences: PreferenceRecord[];
  completions: CompletionRecord[];
  /** Items left out, with the reason (no input, tie, no label, …). */
  skipped: { id: string; reason: string }[];
}

/** The question kinds each format can be fed from. */
export const FEEDS: Record<ExportFormat, Question['kind'][]> = {
  'trl-preference': ['pairwise', 'rating', 'correction'],
  'trl-preference-implicit': ['pairwise', 'rating', 'correction'],
  'openai-dpo': ['pairwise', 'rating', 'correction'],
  'trl-unpaired': ['pairwise', 'rating', 'correction'],
  'trl-prompt-completion': ['correction'],
  'openai-sft': ['correction'],
};

/** The questions of a queue that feed a format: the named one (400 when it cannot), else every fitting one (400 when none). */
export function questionsFor(q: Queue, format: ExportFormat, questionId?: string): Question[] {
  const kinds = FEEDS[format];
  if (questionId !== undefined) {
    const question = q.questions.find((x) => x.id === questionId);
    if (!question) throw badRequest(`queue ${q.name} has no question "${questionId}" (it has ${q.questions.map((x) => `"${x.id}"`).join(', ')})`, 'question');
    if (!kinds.includes(question.kind)) {
      throw badRequest(`question "${question.id}" is a ${question.kind} question: ${format} is fed by ${kinds.join(', ')} questions`, 'question', 'invalid_export');
    }
    return [question];
  }
  const fit = q.questions.filter((x) => kinds.includes(x.kind));
  if (!fit.length) {
    throw badRequest(`queue ${q.name} has no question that can feed ${format} (it needs a ${kinds.join(', ')} question; the queue asks ${[...new Set(q.questions.map((x) => x.kind))].join(', ')})`, 'format', 'invalid_export');
  }
  return fit;
}

const assistant = (content: string): ChatMessage => ({ role: 'assistant', content });
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

interface TraceFacts { messages: ChatMessage[] | null; tools?: FunctionTool[]; parallel_tool_calls?: boolean; prompt_name: string | null; prompt_version: number | null }

/** Reads every annotated item of a queue into records (all questions that fit `format`, or `options.question`). */
export async function recordsFromQueue(svc: QueueService, queueRef: string, format: ExportFormat, options: QueueRecordsOptions = {}): Promise<QueueRecords> {
  const projectId = options.projectId ?? 'default';
  const q = await svc.get(projectId, queueRef);
  const questions = questionsFor(q, format, options.question);
  const annotations = await svc.repo.annotations(q.id);
  const byItem = new Map<string, Annotation[]>();
  for (const a of annotations) byItem.set(a.item_id, [...(byItem.get(a.item_id) ?? []), a]);
  const adjudications = new Map((await svc.repo.adjudications(q.id)).map((a) => [`${a.item_id}\u0000${a.question}`, a]));

  const traces = new Map<string, Promise<TraceFacts | null>>();
  const facts = (traceId: string | null): Promise<TraceFacts | null> => {
    if (!traceId || !options.getTrace) return Promise.resolve(null);
    if (!traces.has(traceId)) traces.set(traceId, readTrace(options.getTrace, traceId, projectId));
    return traces.get(traceId)!;
  };

  const out: QueueRecords = { queue: q, questions, preferences: [], completions: [], skipped: [] };
  const rated = new Map<string, RatedPrompt>();
  const pairs: PairwiseJudgement[] = [];
  const corrections: Correction[] = [];

  for (const item of await allItems(svc, q)) {
    const list = byItem.get(item.id) ?? [];
    for (const question of questions) {
      const skip = (reason: string) => out.skipped.push({ id: `${item.id}:${question.id}`, reason });
      const adj = adjudications.get(`${item.id}\u0000${question.id}`);
      const label = labelOf(question, list, adj);
      if (!label) continue;
      const answered = list.filter((a) => a.answers[question.id] !== undefined);
      const at = Math.max(adj?.created_at ?? 0, ...answered.map((a) => a.updated_at));
      if (options.since !== undefined && at < options.since) continue;
      if (options.until !== undefined && at >= options.until) continue;
      const outputs = item.content.outputs;
      // The trace whose prompt stands for the item: its own, else the first output's.
      const lead = await facts(item.content.trace_id ?? outputs[0]?.trace_id ?? null);
      const prompt = conversationOf(item, lead);
      if (!prompt) {
        skip('the item has no input messages (template vars) and its trace is unavailable');
        continue;
      }
      const provenance: Provenance = {
        trace_ids: [...new Set([item.content.trace_id, ...outputs.map((o) => o.trace_id)].filter((t): t is string => !!t))],
        annotators: answered.map((a) => a.annotator),
        agreement: label.adjudicated || label.annotations >= 2 ? label.agreement : null,
        prompt_name: lead?.prompt_name ?? null,
        prompt_version: lead?.prompt_version ?? null,
        queue: q.name,
        question: question.id,
        created_at: at,
      };
      if (item.content.observation_id) provenance.observation_ids = [item.content.observation_id];

      if (question.kind === 'pairwise') {
        const v = label.value as PairwiseAnswer;
        if (outputs.length !== 2 || outputs.some((o) => o.output === null)) {
          skip('a pairwise label needs an item with two outputs');
          continue;
        }
        if (v.winner === 'tie') {
          skip('a tie has no preferred output');
          continue;
        }
        const strengths = answered
          .map((a) => a.answers[question.id] as PairwiseAnswer)
          .filter((x) => x.winner === v.winner && typeof x.strength === 'number')
          .map((x) => x.strength as number);
        pairs.push({
          id: contentId('pref', q.id, item.id, question.id),
          prompt, a: assistant(outputs[0].output!), b: assistant(outputs[1].output!),
          verdict: v.winner === 'a' ? 'A' : 'B',
          ...(strengths.length && !label.adjudicated ? { strength: mean(strengths) } : {}),
          provenance,
        });
      } else if (question.kind === 'correction') {
        if (outputs.length !== 1) {
          skip('a correction needs an item with one output');
          continue;
        }
        corrections.push({
          id: contentId('corr', q.id, item.id, question.id),
          prompt, original: assistant(outputs[0].output ?? ''), corrected: assistant((label.value as CorrectionAnswer).text), provenance,
        });
      } else if (question.kind === 'rating') {
        if (outputs.length !== 1 || outputs[0].output === null) {
          skip('ratings feed exports from items with one output');
          continue;
        }
        const ratings = adj ? [adj.value as number] : answered.map((a) => a.answers[question.id] as number);
        const rating = mean(ratings);
        const message = assistant(outputs[0].output);
        out.completions.push({
          id: contentId('rate', q.id, item.id, question.id), prompt, completion: message,
          label: rating >= (question.min + question.max) / 2, source: 'rating', provenance,
        });
        const key = `${question.id}\u0000${JSON.stringify(prompt)}`;
        if (!rated.has(key)) rated.set(key, { id: contentId('rgap', q.id, question.id, prompt), prompt, outputs: [] });
        rated.get(key)!.outputs.push({ message, rating, provenance });
      }
    }
  }
  out.preferences.push(...preferencesFromPairwise(pairs));
  const sft = sftFromCorrections(corrections);
  out.completions.push(...sft.completions);
  out.preferences.push(...sft.preferences, ...preferencesFromRatings([...rated.values()], { minGap: options.minGap }));
  return out;
}

/** The records a format takes from what a queue gave. */
export function recordsForFormat(format: ExportFormat, r: Pick<QueueRecords, 'preferences' | 'completions'>): ExportRecord[] {
  switch (format) {
    case 'trl-preference':
    case 'trl-preference-implicit':
    case 'openai-dpo':
      return r.preferences;
    case 'trl-unpaired':
      // Ratings give labelled completions directly; pairwise and correction preferences are split.
      return [...r.completions.filter((c) => c.source === 'rating'), ...unpairedFromPreferences(r.preferences.filter((p) => p.source !== 'rating_gap'))];
    case 'trl-prompt-completion':
    case 'openai-sft':
      return r.completions.filter((c) => c.source === 'correction');
  }
}

async function allItems(svc: QueueService, q: Queue): Promise<QueueItem[]> {
  const all: QueueItem[] = [];
  let after: { created_at: number; id: string } | undefined;
  for (;;) {
    const page = await svc.repo.items(q.id, { after, limit: 500 });
    if (!page.length) return all;
    all.push(...page);
    const last = page[page.length - 1];
    after = { created_at: last.created_at, id: last.id };
  }
}

function conversationOf(item: QueueItem, lead: TraceFacts | null): Conversation | null {
  const input = item.content.input;
  const messages = input && 'messages' in input ? input.messages : lead?.messages;
  if (!messages?.length) return null;
  const c: Conversation = { messages };
  if (lead?.tools?.length) c.tools = lead.tools;
  if (typeof lead?.parallel_tool_calls === 'boolean') c.parallel_tool_calls = lead.parallel_tool_calls;
  return c;
}

async function readTrace(getTrace: NonNullable<QueueRecordsOptions['getTrace']>, traceId: string, projectId: string): Promise<TraceFacts | null> {
  let obs: Observation[];
  try {
    obs = await getTrace(traceId, projectId);
  } catch {
    return null;
  }
  if (!obs.length) return null;
  const root = obs.find((o) => o.parent_id === null) ?? obs[0];
  const input = root.input && typeof root.input === 'object' && !Array.isArray(root.input) ? (root.input as Record<string, unknown>) : null;
  const named = obs.find((o) => o.prompt_name);
  const f: TraceFacts = {
    messages: Array.isArray(input?.messages) ? (input.messages as ChatMessage[]) : null,
    prompt_name: named?.prompt_name ?? null,
    prompt_version: named?.prompt_version ?? null,
  };
  if (Array.isArray(input?.tools)) f.tools = input.tools as FunctionTool[];
  if (typeof input?.parallel_tool_calls === 'boolean') f.parallel_tool_calls = input.parallel_tool_calls;
  return f;
}
