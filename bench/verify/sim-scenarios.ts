/**
 * bench:verify's simulation scenarios (sim.ts runs them): what one question is, what its call came
 * back with, the predicates that score it, and every row of the table — its strategy spec, its
 * metrics and what theory (theory.ts) predicts for each, and its model calls per question.
 */
import type { VerificationReport } from '../../packages/assay/src/verify/types.js';
import { binomAtLeast, judgeTheory, schemaTheory, voteOutcome } from './theory.js';

/** The simulation's parameters the scenarios depend on (sim.ts parses them from argv). */
export interface ScenarioOptions {
  /** Questions per row, and per program and judge row (--program-n). */
  n: number;
  programN: number;
  p: number;
  q: number;
}

export interface Question {
  id: number;
  a: number;
  b: number;
  text: string;
}

/** What one question's call came back with. */
export interface Obs {
  q: Question;
  status: number;
  content: string;
  verdict: VerificationReport['verdict'] | null;
  /** Model calls the layer reports (1 without verification). */
  calls: number;
  /** Model calls the fake model saw. */
  seen: number;
  /** Tokens the layer reports (report.tokens and usage.total_tokens; each fake call is 15). */
  tokens: number[];
  headerCalls: string | null;
}

export const answerOf = (content: string): number | null => {
  try {
    const v = JSON.parse(content) as { answer?: unknown };
    return v && typeof v === 'object' && Number.isInteger(v.answer) ? (v.answer as number) : null;
  } catch {
    return null;
  }
};
export const valid = (o: Obs) => o.status === 200 && answerOf(o.content) !== null;
export const correct = (o: Obs) => o.status === 200 && answerOf(o.content) === o.q.a + o.q.b;
export const noAnswer = (o: Obs) => o.verdict === 'abstained' || o.verdict === 'failed';
export const programRan = (o: Obs) => o.verdict === 'passed';
export const programCorrect = (o: Obs) => o.verdict === 'passed' && o.content.trim() === String(o.q.a + o.q.b);

export interface Metric {
  name: string;
  theory: number;
  hit: (o: Obs) => boolean;
}
export interface Scenario {
  name: string;
  params: string;
  q: number;
  n: number;
  program?: boolean;
  verify?: (qn: Question) => unknown;
  metrics: Metric[];
  callsTheory: number;
}

export const voteSpec = (samples: number) => ({ strategy: 'vote', samples, extract: { json_path: '$.answer' } });

export function scenarios(o: ScenarioOptions): Scenario[] {
  const { p, q, n: N_QUESTIONS, programN: N_PROGRAM } = o;
  const out: Scenario[] = [];
  out.push({
    name: 'baseline (no verify)', params: `q=${q}`, q, n: N_QUESTIONS, callsTheory: 1,
    metrics: [
      { name: 'valid JSON', theory: 1 - q, hit: valid },
      { name: 'correct', theory: p * (1 - q), hit: correct },
    ],
  });
  for (const k of [0, 1, 2, 3]) {
    const { valid: v, calls } = schemaTheory(q, k);
    out.push({
      name: 'schema', params: `max_retries=${k}, q=${q}`, q, n: N_QUESTIONS, callsTheory: calls,
      verify: () => ({ strategy: 'schema', max_retries: k, on_fail: 'return' }),
      metrics: [
        { name: 'valid JSON', theory: v, hit: valid },
        { name: 'correct', theory: p * v, hit: correct },
      ],
    });
  }
  // The default on_fail of schema is 'error': a call with no valid answer is a 422.
  out.push({
    name: 'schema (default on_fail: error)', params: `max_retries=1, q=${q}`, q, n: N_QUESTIONS, callsTheory: schemaTheory(q, 1).calls,
    verify: () => ({ strategy: 'schema', max_retries: 1 }),
    metrics: [
      { name: '422 verification_failed', theory: q ** 2, hit: (o) => o.status === 422 },
      { name: 'correct', theory: p * (1 - q ** 2), hit: correct },
    ],
  });
  out.push({
    name: 'baseline (no verify)', params: 'q=0', q: 0, n: N_QUESTIONS, callsTheory: 1,
    metrics: [{ name: 'correct', theory: p, hit: correct }],
  });
  // Majority of N binomial draws (an even N ties with probability C(N, N/2)·(p(1−p))^(N/2): it abstains).
  for (const n of [3, 4, 5, 9]) {
    const o = voteOutcome(n, p, 1 - p);
    out.push({
      name: 'vote', params: `samples=${n}, q=0`, q: 0, n: N_QUESTIONS, callsTheory: n,
      verify: () => voteSpec(n),
      metrics: [
        { name: 'correct', theory: binomAtLeast(n, p, Math.floor(n / 2) + 1), hit: correct },
        { name: 'abstained', theory: o.none, hit: noAnswer },
      ],
    });
  }
  // Vote over answers whose JSON may be broken: an unreadable sample is a sample without a vote.
  for (const k of [-1, 1, 2]) {
    const n = 5;
    const v = k < 0 ? 1 - q : 1 - q ** (k + 1); // k = −1: no schema, one draw per sample
    const o = voteOutcome(n, p * v, (1 - p) * v);
    out.push({
      name: k < 0 ? 'vote (no schema)' : 'vote > schema',
      params: k < 0 ? `samples=${n}, q=${q}` : `samples=${n}, max_retries=${k}, q=${q}`,
      q, n: N_QUESTIONS, callsTheory: k < 0 ? n : (n * v) / (1 - q),
      verify: () => (k < 0 ? voteSpec(n) : [voteSpec(n), { strategy: 'schema', max_retries: k }]),
      metrics: [
        { name: 'correct', theory: o.right, hit: correct },
        { name: 'abstained', theory: o.none, hit: noAnswer },
      ],
    });
  }
  for (const k of [0, 1, 2]) {
    const { valid: v, calls } = schemaTheory(q, k); // a program that throws is retried like broken JSON
    out.push({
      name: 'program', params: `max_retries=${k}, q=${q}`, q, n: N_PROGRAM, program: true, callsTheory: calls,
      verify: () => ({ strategy: 'program', max_retries: k, on_fail: 'return' }),
      metrics: [
        { name: 'program ran', theory: v, hit: programRan },
        { name: 'correct', theory: p * v, hit: programCorrect },
      ],
    });
  }
  for (const k of [1, 2, 3]) {
    const judge = judgeTheory(p, k);
    out.push({
      name: 'judge (javascript)', params: `max_attempts=${k}, q=0`, q: 0, n: N_PROGRAM, callsTheory: judge.calls,
      // The assertion knows the right answer (vars.sum); the model does not.
      verify: (qn) => ({
        strategy: 'judge',
        max_attempts: k,
        on_fail: 'return',
        vars: { sum: qn.a + qn.b },
        assert: [{ type: 'javascript', value: 'JSON.parse(output).answer === context.vars.sum' }],
      }),
      metrics: [{ name: 'correct', theory: judge.pass, hit: correct }],
    });
  }
  return out;
}
