/**
 * Reference-metric assertions: levenshtein, rouge-n, rouge-l, bleu (algorithms in text-metrics.ts).
 * The score is the metric (levenshtein: 1 − distance / longer length); pass compares it with the
 * threshold (levenshtein: the threshold is the largest allowed distance, as in promptfoo).
 */
import { asString, configEnum, configNumber, kind, prepareValue, scored, thresholdIn, ValueError } from './common.js';
import { levenshtein, rougeL, rougeN, sentenceBleu } from './text-metrics.js';
import { SpecError, type ScorerFactory } from './types.js';

const round = (x: number) => Math.round(x * 10_000) / 10_000;

/** One reference string or a non-empty list of them. */
function references(v: unknown): string[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) throw new ValueError('value must be a reference string or a non-empty list of them');
  return list.map((x) => {
    if (typeof x !== 'string' || x.trim() === '') throw new ValueError(`references must be non-empty strings, got ${kind(x)}`);
    return x;
  });
}

const lev: ScorerFactory = (spec, _deps, base) => {
  const value = prepareValue(spec, base, asString('value'));
  const maxDistance = thresholdIn(spec, base, 5, 0) as number;
  if (!Number.isInteger(maxDistance)) throw new SpecError(`${base}: threshold is the largest allowed edit distance (an integer)`, 'threshold');
  return (ctx, env) => {
    const expected = value(env.vars);
    const d = levenshtein(ctx.output, expected);
    const longer = Math.max(Array.from(ctx.output).length, Array.from(expected).length);
    const score = longer === 0 ? 1 : 1 - d / longer;
    const pass = d <= maxDistance;
    return scored(score, pass, `edit distance ${d} ${pass ? '≤' : '>'} ${maxDistance} (similarity ${round(score)})`, { distance: d });
  };
};

const rougeNScorer: ScorerFactory = (spec, _deps, base) => {
  const value = prepareValue(spec, base, references);
  const n = configNumber(spec, 'n', 1, { min: 1, max: 4, integer: true });
  const measure = configEnum(spec, 'measure', ['recall', 'precision', 'f1'] as const, 'recall');
  const threshold = thresholdIn(spec, base, 0.75, 0, 1) as number;
  return (ctx, env) => {
    const all = value(env.vars).map((ref) => rougeN(ctx.output, ref, n));
    const best = all.reduce((a, b) => (b[measure] > a[measure] ? b : a));
    const score = best[measure];
    const pass = score >= threshold;
    return scored(score, pass, `ROUGE-${n} ${measure} ${round(score)} ${pass ? '≥' : '<'} ${threshold}`, { precision: round(best.precision), recall: round(best.recall), f1: round(best.f1) });
  };
};

const rougeLScorer: ScorerFactory = (spec, _deps, base) => {
  const value = prepareValue(spec, base, references);
  const beta = configNumber(spec, 'beta', 1, { min: 0 });
  const threshold = thresholdIn(spec, base, 0.75, 0, 1) as number;
  return (ctx, env) => {
    const all = value(env.vars).map((ref) => rougeL(ctx.output, ref, beta));
    const best = all.reduce((a, b) => (b.f1 > a.f1 ? b : a));
    const pass = best.f1 >= threshold;
    return scored(best.f1, pass, `ROUGE-L F ${round(best.f1)} ${pass ? '≥' : '<'} ${threshold}`, { precision: round(best.precision), recall: round(best.recall) });
  };
};

const bleu: ScorerFactory = (spec, _deps, base) => {
  const value = prepareValue(spec, base, references);
  const threshold = thresholdIn(spec, base, 0.5, 0, 1) as number;
  return (ctx, env) => {
    const d = sentenceBleu(ctx.output, value(env.vars));
    const pass = d.score >= threshold;
    return scored(d.score, pass, `BLEU ${round(d.score)} ${pass ? '≥' : '<'} ${threshold}`, {
      precisions: d.precisions.map(round),
      brevityPenalty: round(d.brevityPenalty),
      candidateLength: d.candidateLength,
      referenceLength: d.referenceLength,
    });
  };
};

export const metricScorers: Record<string, ScorerFactory> = {
  levenshtein: lev,
  'rouge-n': rougeNScorer,
  'rouge-l': rougeLScorer,
  bleu,
};
