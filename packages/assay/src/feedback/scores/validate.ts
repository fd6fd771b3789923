/**
 * A score checked against its config: the data type must match; a NUMERIC value must lie in
 * [min, max]; a CATEGORICAL value must name a category by label (string) or value (number), and is
 * stored with both; a BOOLEAN is true/false (or 1/0, "true"/"false"); a TEXT is at most 10k chars.
 * Every refusal is a 400 that says what the config allows.
 */
import { badRequest } from '../../errors.js';
import { MAX_TEXT_SCORE, type ScoreConfig, type ScoreDataType } from './types.js';

export interface RawScoreValue {
  name: string;
  value: number | string | boolean;
  data_type?: ScoreDataType;
}

/** What a score stores once checked: its type, number and string. */
export interface CheckedScoreValue {
  data_type: ScoreDataType;
  value: number | null;
  string_value: string | null;
}

const describeRange = (c: ScoreConfig): string => `[${c.min ?? '-∞'}, ${c.max ?? '+∞'}]`;
const describeCategories = (c: ScoreConfig): string =>
  (c.categories ?? []).map((k) => `"${k.label}" (${k.value})`).join(', ');

export function checkAgainstConfig(score: RawScoreValue, config: ScoreConfig): CheckedScoreValue {
  const where = `score config "${config.name}" (${config.id})`;
  if (score.name !== config.name) {
    throw badRequest(`config_id ${config.id} is the config of scores named "${config.name}", not "${score.name}"`, 'config_id', 'score_config_mismatch');
  }
  if (score.data_type && score.data_type !== config.data_type) {
    throw badRequest(`data_type ${score.data_type} does not match ${where}, which is ${config.data_type}`, 'data_type', 'score_config_mismatch');
  }
  const v = score.value;
  switch (config.data_type) {
    case 'NUMERIC': {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw badRequest(`value ${JSON.stringify(v)} is not a number; ${where} is NUMERIC`, 'value', 'invalid_score_value');
      }
      if ((config.min !== null && v < config.min) || (config.max !== null && v > config.max)) {
        throw badRequest(`value ${v} is outside the range ${describeRange(config)} of ${where}`, 'value', 'score_out_of_range');
      }
      return { data_type: 'NUMERIC', value: v, string_value: null };
    }
    case 'CATEGORICAL': {
      const cats = config.categories ?? [];
      const hit = typeof v === 'string' ? cats.find((k) => k.label === v) : typeof v === 'number' ? cats.find((k) => k.value === v) : undefined;
      if (!hit) {
        throw badRequest(
          `value ${JSON.stringify(v)} is not a category of ${where}; categories (label or value): ${describeCategories(config)}`,
          'value',
          'unknown_score_category',
        );
      }
      return { data_type: 'CATEGORICAL', value: hit.value, string_value: hit.label };
    }
    case 'BOOLEAN': {
      const t = v === true || v === 1 || v === 'true';
      const f = v === false || v === 0 || v === 'false';
      if (!t && !f) throw badRequest(`value ${JSON.stringify(v)} is not a boolean (true/false, 1/0); ${where} is BOOLEAN`, 'value', 'invalid_score_value');
      return { data_type: 'BOOLEAN', value: t ? 1 : 0, string_value: String(t) };
    }
    case 'TEXT': {
      if (typeof v !== 'string') throw badRequest(`value ${JSON.stringify(v)} is not text; ${where} is TEXT`, 'value', 'invalid_score_value');
      if (v.length > MAX_TEXT_SCORE) {
        throw badRequest(`the text is ${v.length} characters; ${where} allows at most ${MAX_TEXT_SCORE}`, 'value', 'invalid_score_value');
      }
      return { data_type: 'TEXT', value: null, string_value: v };
    }
  }
}
