/**
 * recordsFromQueue over an in-memory queue: adjudication over the majority, ties dropped, strength
 * as margin, rating gaps across items with the same input, unpaired labels by the midpoint, items
 * whose input is template vars taking the prompt from their trace, and which kinds feed which format.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { QueueService } from '../queues/service.js';
import type { Adjudication, Annotation, Question, Queue, QueueItem } from '../queues/types.js';
import type { Observation } from '../../tracing/span.js';
import { questionsFor, recordsForFormat, recordsFromQueue } from './from-queue.js';

const QUESTIONS: Question[] = [
  { id: 'pref', kind: 'pairwise', prompt: 'p', allow_tie: true, strength: true },
  { id: 'stars', kind: 'rating', prompt: 'p', min: 1, max: 5 },
  { id: 'fix', kind: 'correction', prompt: 'p' },
  { id: 'why', kind: 'text', prompt: 'p' },
];
const queue: Queue = {
  id: 'aq_1', project_id: 'default', name: 'q', description: null, questions: QUESTIONS, overlap: 2,
  annotators: null, sampling: null, created_by: null, created_at: 0, updated_at: 0,
};
const hi = { messages: [{ role: 'user' as const, content: 'hi' }] };
const single = (id: string, output: string, trace: string, input: QueueItem['content']['input'] = hi): QueueItem => ({
  id, queue_id: 'aq_1', kind: 'single', trace_id: trace, done: 2, created_at: Number(id.slice(1)),
  content: { input, outputs: [{ output, trace_id: trace, variant: null }], trace_id: trace, observation_id: null, source: {} },
});
const pair = (id: string, a: string, b: string): QueueItem => ({
  id, queue_id: 'aq_1', kind: 'multi', trace_id: null, done: 2, created_at: Number(id.slice(1)),
  content: { input: { vars: { q: id } }, outputs: [{ output: a, trace_id: `t${id}a`, variant: 'x' }, { output: b, trace_id: `t${id}b`, variant: 'y' }], trace_id: null, observation_id: null, source: {} },
});
const ann = (item: string, annotator: string, answers: Record<string, unknown>, at = 10): Annotation => ({
  id: `an_${item}_${annotator}`, queue_id: 'aq_1', item_id: item, annotator, annotator_name: null, answers, shown: null, created_at: at, updated_at: at,
});
const pw = (winner: 'a' | 'b' | 'tie', strength: number | null) => ({ winner, variant: null, choice: 'left', strength });

function stub(items: QueueItem[], annotations: Annotation[], adjudications: Adjudication[] = []): QueueService {
  return {
    get: async () => queue,
    repo: {
      annotations: async () => annotations,
      adjudications: async () => adjudications,
      items: async (_q: string, o: { after?: unknown }) => (o.after ? [] : items),
    },
  } as unknown as QueueService;
}
const getTrace = async (traceId: string): Promise<Observation[]> =>
  [{ id: 'o', parent_id: null, input: { messages: [{ role: 'user', content: `prompt of ${traceId}` }] }, prompt_name: 'greet', prompt_version: 3 } as unknown as Observation];

describe('records from a queue', () => {
  test('pairwise: majority or adjudication, ties dropped, mean strength of the winners as margin, prompt from the trace', async () => {
    const items = [pair('p1', 'A1', 'B1'), pair('p2', 'A2', 'B2'), pair('p3', 'A3', 'B3')];
    const anns = [
      ann('p1', 'k1', { pref: pw('a', 3) }), ann('p1', 'k2', { pref: pw('a', 1) }),
      ann('p2', 'k1', { pref: pw('tie', null) }), ann('p2', 'k2', { pref: pw('tie', null) }),
      ann('p3', 'k1', { pref: pw('a', 2) }), ann('p3', 'k2', { pref: pw('b', 2) }, 20),
    ];
    const adj: Adjudication[] = [{ item_id: 'p3', question: 'pref', queue_id: 'aq_1', value: pw('a', null), note: null, author: 'admin', created_at: 30 }];
    const r = await recordsFromQueue(stub(items, anns, adj), 'q', 'openai-dpo', { getTrace });
    assert.deepEqual(r.questions.map((q) => q.id), ['pref', 'stars', 'fix']);
    assert.deepEqual(r.skipped.map((s) => s.reason), ['a tie has no preferred output']);
    const [p1, p3] = r.preferences;
    assert.deepEqual([p1.chosen.content, p1.rejected.content, p1.margin, p1.provenance.agreement], ['A1', 'B1', 2, 1]);
    assert.deepEqual(p1.prompt, { messages: [{ role: 'user', content: 'prompt of tp1a' }] });
    assert.deepEqual([p1.provenance.trace_ids, p1.provenance.annotators, p1.provenance.prompt_name, p1.provenance.prompt_version], [['tp1a', 'tp1b'], ['k1', 'k2'], 'greet', 3]);
    assert.deepEqual([p3.chosen.content, p3.margin, p3.provenance.agreement, p3.provenance.created_at], ['A3', undefined, 1, 30], 'adjudicated: a wins, no margin');
    const noTrace = await recordsFromQueue(stub(items, anns, adj), 'q', 'openai-dpo', { question: 'pref' });
    assert.equal(noTrace.preferences.length, 0, 'vars input and no trace: no prompt');
    assert.match(noTrace.skipped[0].reason, /no input messages/);
  });

  test('ratings: gaps across items with the same input, unpaired by midpoint; corrections: SFT + preference', async () => {
    const items = [single('s1', 'good', 't1'), single('s2', 'bad', 't2'), single('s3', 'other', 't3', { messages: [{ role: 'user', content: 'other' }] })];
    const anns = [
      ann('s1', 'k1', { stars: 5, fix: 'good!' }), ann('s1', 'k2', { stars: 4, fix: { text: 'good!' } }),
      ann('s2', 'k1', { stars: 1 }), ann('s3', 'k1', { stars: 3 }),
    ];
    const r = await recordsFromQueue(stub(items, anns.map((a) => ({ ...a, answers: Object.fromEntries(Object.entries(a.answers).map(([k, v]) => [k, k === 'fix' ? { text: typeof v === 'string' ? v : (v as { text: string }).text, diff: [], changed: true } : v])) }))), 'q', 'trl-preference', { question: 'stars', minGap: 1 });
    assert.equal(r.preferences.length, 1);
    assert.deepEqual([r.preferences[0].chosen.content, r.preferences[0].rejected.content, r.preferences[0].margin, r.preferences[0].source], ['good', 'bad', 3.5, 'rating_gap']);
    assert.deepEqual(r.preferences[0].provenance.annotators, ['k1', 'k2']);
    assert.equal(r.preferences[0].provenance.agreement, 0.5, 'the weaker agreement of the two outputs');
    const kto = recordsForFormat('trl-unpaired', r);
    assert.deepEqual(kto.map((c) => ('label' in c ? [c.completion.content, c.label] : null)), [['good', true], ['bad', false], ['other', true]]);
    assert.equal(kto[1].provenance.agreement, null, 'one annotator: agreement unknown');

    const fixed = await recordsFromQueue(stub(items, [ann('s1', 'k1', { fix: { text: 'good!', diff: [], changed: true } })]), 'q', 'openai-sft');
    const sft = recordsForFormat('openai-sft', fixed);
    assert.equal(sft.length, 1);
    assert.deepEqual('completion' in sft[0] && sft[0].completion, { role: 'assistant', content: 'good!' });
    assert.deepEqual([fixed.preferences[0].chosen.content, fixed.preferences[0].rejected.content], ['good!', 'good']);
  });

  test('which question kinds feed which format', () => {
    assert.deepEqual(questionsFor(queue, 'openai-sft').map((q) => q.id), ['fix']);
    assert.throws(() => questionsFor(queue, 'openai-dpo', 'why'), /"why" is a text question: openai-dpo is fed by pairwise, rating, correction/);
    assert.throws(() => questionsFor(queue, 'openai-sft', 'stars'), /rating question: openai-sft is fed by correction/);
    assert.throws(() => questionsFor({ ...queue, questions: [QUESTIONS[3]] }, 'trl-unpaired'), /no question that can feed trl-unpaired .*asks text/);
  });
});
