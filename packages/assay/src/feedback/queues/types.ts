/**
 * The annotation queue model (docs/annotation.md): a queue asks questions about items; an item is a
 * stored snapshot of what annotators judge (one output, or two or more outputs of the same input
 * shown blind); an annotation is one annotator's answers to an item, attributed to their key.
 */
import { z } from 'zod';
import type { ItemInput } from '../../datasets/types.js';

const qid = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/, 'a question id is 1–100 letters, digits, "_", ".", ":" or "-"');
const base = { id: qid, prompt: z.string().min(1).max(2000), required: z.boolean().optional() };

export const questionSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...base,
    kind: z.literal('rating'),
    min: z.number().int().default(1),
    max: z.number().int().default(5),
    labels: z.record(z.string(), z.string()).optional(),
  }),
  z.strictObject({ ...base, kind: z.literal('categorical'), options: z.array(z.string().min(1).max(200)).min(2).max(100) }),
  z.strictObject({ ...base, kind: z.literal('boolean') }),
  z.strictObject({ ...base, kind: z.literal('text') }),
  z.strictObject({ ...base, kind: z.literal('correction') }),
  z.strictObject({ ...base, kind: z.literal('pairwise'), allow_tie: z.boolean().default(true), strength: z.boolean().default(false) }),
  z.strictObject({ ...base, kind: z.literal('ranking'), n: z.number().int().min(2).max(20).optional() }),
]);
export type Question = z.infer<typeof questionSchema>;
export type QuestionKind = Question['kind'];

export const samplingFilterSchema = z.strictObject({
  model: z.string().min(1).optional(),
  route: z.string().min(1).optional(),
  tag: z.string().min(1).optional(),
  /** true: only failed calls; false: only successful ones. */
  error: z.boolean().optional(),
});
export const samplingRuleSchema = z.strictObject({ filter: samplingFilterSchema.default({}), rate: z.number().min(0).max(1) });
export type SamplingRule = z.infer<typeof samplingRuleSchema>;

export const queueInputSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.\-/ ]{0,199}$/, 'name is 1–200 letters, digits, spaces, "_", ".", "-" or "/"'),
    description: z.string().max(10_000).nullable().optional(),
    questions: z.array(questionSchema).min(1, 'a queue needs at least one question').max(50),
    overlap: z.number().int().min(1).max(50).default(1),
    /** Key ids allowed to annotate; null or absent: any key with the read scope. */
    annotators: z.array(z.string().min(1)).max(1000).nullable().optional(),
    sampling: z.array(samplingRuleSchema).max(20).nullable().optional(),
  })
  .superRefine((q, ctx) => {
    const seen = new Set<string>();
    q.questions.forEach((x, i) => {
      if (seen.has(x.id)) ctx.addIssue({ code: 'custom', message: `question id "${x.id}" is used twice`, path: ['questions', i, 'id'] });
      seen.add(x.id);
      if (x.kind === 'rating' && x.min >= x.max) ctx.addIssue({ code: 'custom', message: `min (${x.min}) must be below max (${x.max})`, path: ['questions', i, 'min'] });
      if (x.kind === 'categorical' && new Set(x.options).size !== x.options.length) {
        ctx.addIssue({ code: 'custom', message: 'options must not repeat', path: ['questions', i, 'options'] });
      }
    });
  });
export type QueueInput = z.infer<typeof queueInputSchema>;

export interface Queue {
  id: string;
  project_id: string;
  name: string;
  description: string | null;
  questions: Question[];
  overlap: number;
  annotators: string[] | null;
  sampling: SamplingRule[] | null;
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

/** One output an annotator judges; `variant` is never shown for multi-output items. */
export interface ItemOutput {
  output: string | null;
  trace_id: string | null;
  variant: string | null;
}

/** What annotators see, frozen when the item was added. */
export interface ItemContent {
  input: ItemInput | null;
  /** One for single items; two (pairs) or more (comparisons) for multi-output items, in source order (A, B, …). */
  outputs: ItemOutput[];
  trace_id: string | null;
  observation_id: string | null;
  /** Where it came from: trace, observation, filter, sampling, experiment, pair. */
  source: Record<string, unknown>;
}

export type ItemKind = 'single' | 'multi';

export interface QueueItem {
  id: string;
  queue_id: string;
  kind: ItemKind;
  content: ItemContent;
  trace_id: string | null;
  /** Completed annotations. */
  done: number;
  created_at: number;
}

/** A pairwise answer as stored: un-blinded. */
export interface PairwiseAnswer {
  /** 'a' / 'b' (the item's first / second output) or 'tie'. */
  winner: 'a' | 'b' | 'tie';
  /** The winning variant (null on a tie). */
  variant: string | null;
  /** What the annotator clicked. */
  choice: 'left' | 'right' | 'tie';
  strength: number | null;
}

export interface CorrectionAnswer {
  text: string;
  diff: DiffLine[];
  changed: boolean;
}

export interface DiffLine {
  op: ' ' | '-' | '+';
  line: string;
}

export interface Annotation {
  id: string;
  queue_id: string;
  item_id: string;
  annotator: string;
  annotator_name: string | null;
  /** question id → stored value (rating number, label, boolean, text, CorrectionAnswer, PairwiseAnswer, ranked variants). */
  answers: Record<string, unknown>;
  /** Output order shown (indices into content.outputs), for multi-output items. */
  shown: number[] | null;
  created_at: number;
  updated_at: number;
}

export interface Adjudication {
  item_id: string;
  question: string;
  queue_id: string;
  value: unknown;
  note: string | null;
  author: string | null;
  created_at: number;
}

/** The calling annotator. */
export interface Annotator {
  id: string;
  name: string | null;
  projectId: string;
  admin: boolean;
  /** Has the read scope (enough for queues without an annotators list). */
  read: boolean;
}
