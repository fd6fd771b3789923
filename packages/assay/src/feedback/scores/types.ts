/**
 * Score configs: the definition a score name is checked against — its data type, the range of a
 * numeric score, the categories of a categorical one (docs/feedback.md).
 */
import { z } from 'zod';

export const SCORE_DATA_TYPES = ['NUMERIC', 'CATEGORICAL', 'BOOLEAN', 'TEXT'] as const;
export type ScoreDataType = (typeof SCORE_DATA_TYPES)[number];

/** The longest text a TEXT score may carry. */
export const MAX_TEXT_SCORE = 10_000;

export interface ScoreCategory {
  label: string;
  value: number;
}

export interface ScoreConfig {
  id: string;
  project_id: string;
  name: string;
  data_type: ScoreDataType;
  /** Bounds of a NUMERIC score (inclusive); null = unbounded on that side. */
  min: number | null;
  max: number | null;
  /** The categories of a CATEGORICAL score; null for the other types. */
  categories: ScoreCategory[] | null;
  description: string | null;
  /** Archived configs stay readable; scores can no longer name them by config_id. */
  archived: boolean;
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

const category = z.strictObject({
  label: z.string({ message: 'a category needs a label (string)' }).min(1).max(200),
  value: z.number({ message: 'a category needs a numeric value' }).finite(),
});

export const scoreConfigInputSchema = z
  .strictObject({
    name: z.string({ message: 'name is required: the score name this config governs (e.g. "helpfulness")' }).min(1).max(200),
    data_type: z.enum(SCORE_DATA_TYPES, { message: `data_type must be one of ${SCORE_DATA_TYPES.join(', ')}` }),
    min: z.number().finite().nullable().optional(),
    max: z.number().finite().nullable().optional(),
    categories: z.array(category).min(1).max(100).nullable().optional(),
    description: z.string().max(2_000).nullable().optional(),
  })
  .superRefine((c, ctx) => {
    const hasRange = (c.min ?? null) !== null || (c.max ?? null) !== null;
    if (hasRange && c.data_type !== 'NUMERIC') {
      ctx.addIssue({ code: 'custom', path: ['min'], message: `min and max are for NUMERIC configs, not ${c.data_type}` });
    }
    if (c.min != null && c.max != null && c.min > c.max) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: `max (${c.max}) is below min (${c.min})` });
    }
    if (c.data_type === 'CATEGORICAL') {
      if (!c.categories?.length) {
        ctx.addIssue({ code: 'custom', path: ['categories'], message: 'a CATEGORICAL config needs categories: [{label, value}, …]' });
        return;
      }
      const labels = new Set<string>();
      const values = new Set<number>();
      c.categories.forEach((cat, i) => {
        if (labels.has(cat.label)) ctx.addIssue({ code: 'custom', path: ['categories', i, 'label'], message: `duplicate category label "${cat.label}"` });
        if (values.has(cat.value)) ctx.addIssue({ code: 'custom', path: ['categories', i, 'value'], message: `duplicate category value ${cat.value}` });
        labels.add(cat.label);
        values.add(cat.value);
      });
    } else if (c.categories?.length) {
      ctx.addIssue({ code: 'custom', path: ['categories'], message: `categories are for CATEGORICAL configs, not ${c.data_type}` });
    }
  });

export type ScoreConfigInput = z.infer<typeof scoreConfigInputSchema>;

/** PATCH: only the description and the archived flag change; the type and its bounds are fixed. */
export const scoreConfigPatchSchema = z.strictObject({
  description: z.string().max(2_000).nullable().optional(),
  archived: z.boolean().optional(),
});
export type ScoreConfigPatch = z.infer<typeof scoreConfigPatchSchema>;
