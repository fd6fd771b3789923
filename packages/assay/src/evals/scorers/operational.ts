/**
 * Assertions on numbers and call facts: numeric (Assay's own: the first or last number in the
 * output against an expected value, with absolute/relative tolerance), latency (ms), cost (USD)
 * and finish-reason. A fact the context does not have (latency, cost of an unpriced model, finish
 * reason) is a scorer error, never a pass or a fail.
 */
import { asNonEmptyString, configEnum, configNumber, failure, kind, prepareValue, ValueError, verdict } from './common.js';
import { SpecError, type AssertionSpec, type ScorerFactory } from './types.js';

const NUMBER = /(?<![\w.])[-+]?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?/g;

/** Numbers written in `text` ("1,234.5", "-3", "2e-3"; a Unicode minus counts), in order. */
export function findNumbers(text: string): number[] {
  return [...text.replace(/\u2212/g, '-').matchAll(NUMBER)].map((m) => Number(m[0].replace(/,/g, ''))).filter(Number.isFinite);
}

function expectedNumber(v: unknown): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v.trim().replace(/,/g, '')) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new ValueError(`value must be a number, got ${typeof v === 'string' ? JSON.stringify(v) : kind(v)}`);
  return n;
}

const numeric: ScorerFactory = (spec, _deps, base) => {
  const value = prepareValue(spec, base, expectedNumber);
  const tolerance = configNumber(spec, 'tolerance', 0, { min: 0 });
  const relative = configNumber(spec, 'relative', 0, { min: 0 });
  const position = configEnum(spec, 'position', ['first', 'last'] as const, 'first');
  return (ctx, env) => {
    const expected = value(env.vars);
    const numbers = findNumbers(ctx.output);
    if (numbers.length === 0) return verdict(false, 'output contains no number');
    const actual = position === 'first' ? numbers[0] : numbers[numbers.length - 1];
    const diff = Math.abs(actual - expected);
    const allowed = Math.max(tolerance, relative * Math.abs(expected), 1e-12 * Math.max(1, Math.abs(expected)));
    const pass = diff <= allowed;
    const tol = tolerance || relative ? ` (tolerance ${Math.max(tolerance, relative * Math.abs(expected))})` : '';
    return verdict(pass, `output number ${actual} ${pass ? 'matches' : 'differs from'} ${expected} by ${diff}${tol}`, { actual, expected, difference: diff });
  };
};

function requireThreshold(spec: AssertionSpec, base: string, unit: string): number {
  if (spec.threshold === undefined) throw new SpecError(`${base} needs a threshold (the largest allowed ${unit})`, 'threshold');
  if (spec.threshold < 0) throw new SpecError(`${base}: threshold must be ≥ 0`, 'threshold');
  return spec.threshold;
}

const latency: ScorerFactory = (spec, _deps, base) => {
  const max = requireThreshold(spec, base, 'latency in ms');
  return (ctx) => {
    if (ctx.latencyMs === undefined || !Number.isFinite(ctx.latencyMs)) return failure('latency is unknown for this output');
    const pass = ctx.latencyMs <= max;
    return verdict(pass, `latency ${Math.round(ctx.latencyMs)} ms ${pass ? '≤' : '>'} ${max} ms`, { latencyMs: ctx.latencyMs });
  };
};

const cost: ScorerFactory = (spec, _deps, base) => {
  const max = requireThreshold(spec, base, 'cost in USD');
  return (ctx) => {
    if (ctx.cost === undefined || ctx.cost === null || !Number.isFinite(ctx.cost)) return failure('cost is unknown for this output (the model is not priced)');
    const pass = ctx.cost <= max;
    return verdict(pass, `cost $${ctx.cost.toPrecision(3)} ${pass ? '≤' : '>'} $${max}`, { cost: ctx.cost });
  };
};

const finishReason: ScorerFactory = (spec, _deps, base) => {
  const value = prepareValue(spec, base, asNonEmptyString('value'));
  return (ctx, env) => {
    const want = value(env.vars);
    if (!ctx.finishReason) return failure('the finish reason is unknown for this output');
    const pass = ctx.finishReason.toLowerCase() === want.toLowerCase();
    return verdict(pass, `finish reason is "${ctx.finishReason}"${pass ? '' : ` (expected "${want}")`}`);
  };
};

export const operationalScorers: Record<string, ScorerFactory> = {
  numeric,
  latency,
  cost,
  'finish-reason': finishReason,
};
