/**
 * bench:verify --live: the simulation's benchmark against a REAL model, over HTTP through a running
 * Assay (docs/verify-benchmark.md). A seeded set of multi-step arithmetic questions ("What is
 * 4817 × 29 − 3561?", sums of several 3–4 digit numbers …) whose answers are computed exactly is
 * asked once per strategy row — baseline (verification off), schema, vote, program, judge — each as
 * `assay.verify` in the body. The answers' `assay.verification` reports and `usage` give calls,
 * tokens and the layer's time; the client's clock gives wall time per question.
 *
 * A real model's p (right, when its answer is readable) and q (unreadable JSON) are unknown: they
 * are estimated from the baseline row, and each row's accuracy is printed beside what the
 * independence model (theory.ts, the simulation's) predicts from p̂ and q̂. A real model's errors on
 * one question are correlated (a question it gets wrong it tends to get wrong again), so vote's
 * and judge's measured gains are expected to fall short of that prediction: the table shows the
 * gap, not pass/fail. Prints only; never writes docs. This file asks the questions; scoring,
 * statistics and the table are in live-report.ts.
 */
import { performance } from 'node:perf_hooks';
import type { VerificationReport } from '../../packages/assay/src/verify/types.js';
import { rng } from '../lib/random.js';
import { argOf, log } from './common.js';
import { printReport, statsOf } from './live-report.js';
import { judgeTheory, schemaTheory, voteOutcome } from './theory.js';

const STRATEGY_NAMES = ['baseline', 'schema', 'vote', 'program', 'judge'] as const;
type StrategyName = (typeof STRATEGY_NAMES)[number];

export interface LiveOptions {
  argv: string[];
  url: string;
  model: string;
  key: string | undefined;
  n: number;
  concurrency: number;
  strategies: StrategyName[];
  samples: number;
  retries: number;
  attempts: number;
  voteTemperature: number;
  seed: number;
  timeoutMs: number;
}

/** A problem the user must fix before anything is measured: printed alone, exit code 2. */
class Fatal extends Error {}

function liveOptions(argv: string[]): LiveOptions {
  const arg = (name: string) => argOf(argv, name);
  const int = (name: string, dflt: number, min: number): number => {
    const v = Number(arg(name) ?? dflt);
    if (!Number.isInteger(v) || v < min) throw new Fatal(`--${name} must be an integer ≥ ${min}, got ${arg(name)}`);
    return v;
  };
  const model = arg('model');
  if (!model) throw new Fatal('--live needs --model=<route or provider/model> (a model the Assay at --url serves)');
  const names = (arg('strategies') ?? STRATEGY_NAMES.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((s) => !STRATEGY_NAMES.includes(s as StrategyName));
  if (unknown.length) throw new Fatal(`--strategies: unknown ${unknown.join(', ')} (use ${STRATEGY_NAMES.join(', ')})`);
  // The baseline always runs first: p̂, q̂ and the cost multipliers come from it.
  const strategies = STRATEGY_NAMES.filter((s) => s === 'baseline' || names.includes(s));
  const voteTemperature = Number(arg('vote-temperature') ?? 0.7);
  if (!(voteTemperature >= 0 && voteTemperature <= 2)) throw new Fatal('--vote-temperature must be in 0..2');
  return {
    argv,
    url: (arg('url') ?? process.env.ASSAY_URL ?? 'http://127.0.0.1:4141').replace(/\/+$/, ''),
    model,
    key: arg('key') ?? process.env.ASSAY_API_KEY,
    n: int('n', 100, 1),
    concurrency: int('concurrency', 4, 1),
    strategies,
    samples: int('samples', 5, 2),
    retries: int('retries', 2, 0),
    attempts: int('attempts', 3, 1),
    voteTemperature,
    seed: int('seed', 20261126, 0),
    timeoutMs: int('timeout-ms', 120_000, 1),
  };
}

// ---------------------------------------------------------------------------------------------
// Questions: harder than the simulation's a + b, so that a real model makes mistakes

interface Question {
  id: number;
  text: string;
  answer: number;
}

/** n questions from the seed: four multi-step forms in turn, all integer answers exact in a double. */
export function liveQuestions(n: number, seed: number): Question[] {
  const draw = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(draw() * (hi - lo + 1));
  return Array.from({ length: n }, (_, id) => {
    switch (id % 4) {
      case 0: {
        const [a, b, c] = [int(1000, 9999), int(12, 98), int(1000, 9999)];
        return { id, text: `What is ${a} × ${b} − ${c}?`, answer: a * b - c };
      }
      case 1: {
        const xs = Array.from({ length: int(4, 6) }, () => int(100, 9999));
        return { id, text: `What is ${xs.join(' + ')}?`, answer: xs.reduce((s, x) => s + x, 0) };
      }
      case 2: {
        const [a, b, c, d] = [int(100, 999), int(12, 98), int(100, 999), int(12, 98)];
        return { id, text: `What is ${a} × ${b} + ${c} × ${d}?`, answer: a * b + c * d };
      }
      default: {
        const [a, b, c] = [int(1000, 9999), int(100, 999), int(12, 98)];
        return { id, text: `What is (${a} − ${b}) × ${c}?`, answer: (a - b) * c };
      }
    }
  });
}

const SYSTEM = 'Compute the exact value of the expression. Do not show your work. Reply with JSON only: {"answer": <the number>}.';

const RESPONSE_FORMAT = {
  type: 'json_schema',
  json_schema: {
    name: 'answer',
    strict: true, // providers that can enforce it (OpenAI structured outputs) do: q̂ ≈ 0 there
    schema: { type: 'object', properties: { answer: { type: 'number' } }, required: ['answer'], additionalProperties: false },
  },
} as const;

// ---------------------------------------------------------------------------------------------
// Rows

interface Prediction {
  correct: number;
  calls: number;
}

export interface RowSpec {
  strategy: StrategyName;
  params: string;
  /** The program strategy asks for code: no JSON instruction, no response_format. */
  program: boolean;
  /** `assay.verify` of one question's request. */
  verify: (qn: Question) => unknown;
  /** On failure the layer returns an abstention (every strategy here but schema, whose on_fail is 'return'). */
  abstains: boolean;
  /** What the independence model predicts from the baseline's p̂ (right when readable) and q̂ (unreadable). */
  predict: (p: number, q: number) => Prediction;
}

function rowSpecs(o: LiveOptions): RowSpec[] {
  const k = o.retries;
  const specs: Record<StrategyName, RowSpec> = {
    baseline: {
      strategy: 'baseline', params: 'verify: false', program: false, abstains: false,
      verify: () => false, // also turns off a route's own verify
      predict: (p, q) => ({ correct: p * (1 - q), calls: 1 }),
    },
    schema: {
      strategy: 'schema', params: `max_retries=${k}, on_fail=return`, program: false, abstains: false,
      verify: () => ({ strategy: 'schema', max_retries: k, on_fail: 'return' }),
      predict: (p, q) => {
        const t = schemaTheory(q, k);
        return { correct: p * t.valid, calls: t.calls };
      },
    },
    vote: {
      strategy: 'vote', params: `samples=${o.samples}, temperature=${o.voteTemperature}, $.answer`, program: false, abstains: true,
      verify: () => ({ strategy: 'vote', samples: o.samples, temperature: o.voteTemperature, extract: { json_path: '$.answer' }, normalize: 'number' }),
      predict: (p, q) => ({ correct: voteOutcome(o.samples, p * (1 - q), (1 - p) * (1 - q)).right, calls: o.samples }),
    },
    program: {
      strategy: 'program', params: `max_retries=${k}`, program: true, abstains: true,
      verify: () => ({ strategy: 'program', max_retries: k }),
      // As if the model's code were right as often as its answers: program's point is to beat this.
      predict: (p, q) => {
        const t = schemaTheory(q, k);
        return { correct: p * t.valid, calls: t.calls };
      },
    },
    judge: {
      strategy: 'judge', params: `max_attempts=${o.attempts}, javascript knows the answer`, program: false, abstains: true,
      verify: (qn) => ({
        strategy: 'judge',
        max_attempts: o.attempts,
        vars: { answer: qn.answer },
        // The layer's readJson rule: the JSON as is, or inside one ``` fence.
        assert: [{ type: 'javascript', value: 'const m = /^\\s*```[a-zA-Z]*[ \\t]*\\r?\\n([\\s\\S]*?)\\r?\\n?```\\s*$/.exec(output);\nreturn JSON.parse(m ? m[1] : output).answer === context.vars.answer;' }],
      }),
      predict: (p, q) => {
        const t = judgeTheory(p * (1 - q), o.attempts);
        return { correct: t.pass, calls: t.calls };
      },
    },
  };
  return o.strategies.map((s) => specs[s]);
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface Obs {
  qn: Question;
  /** HTTP status; 0: the request failed (timeout, connection reset). */
  status: number;
  content: string;
  verdict: VerificationReport['verdict'] | null;
  /** Model calls: the report's (a 422: x-assay-verification-calls), 1 without verification. */
  calls: number;
  /** Tokens: the report's, else usage.total_tokens; null when the answer does not say (a 422). */
  tokens: number | null;
  layerMs: number | null;
  wallMs: number;
  /** The report, x-assay-verification-calls and usage disagree. */
  miscounted: boolean;
  error: string | null;
}

function requestFor(row: RowSpec, qn: Question, o: LiveOptions): Record<string, unknown> {
  return {
    model: o.model,
    messages: row.program ? [{ role: 'user', content: qn.text }] : [{ role: 'system', content: SYSTEM }, { role: 'user', content: qn.text }],
    ...(row.program ? {} : { response_format: RESPONSE_FORMAT }),
    assay: { verify: row.verify(qn) },
  };
}

const errorMessage = (body: unknown, text: string): string => {
  const e = (body as { error?: { message?: unknown; code?: unknown } } | null)?.error;
  return typeof e?.message === 'string' ? `${e.message}${typeof e.code === 'string' ? ` (${e.code})` : ''}` : text.slice(0, 500);
};

async function post(body: Record<string, unknown>, o: LiveOptions): Promise<{ status: number; json: unknown; text: string; headers: Headers; ms: number }> {
  const t0 = performance.now();
  let res: Response;
  try {
    res = await fetch(`${o.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(o.key ? { authorization: `Bearer ${o.key}` } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(o.timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.cause?.code === 'ECONNREFUSED' || e.cause?.code === 'ENOTFOUND' || e.cause?.code === 'EAI_AGAIN') {
      throw new Fatal(`cannot reach Assay at ${o.url} (${e.cause.code}): start it (npm start, or assay up) or pass --url`);
    }
    return { status: 0, json: null, text: `${e.name}: ${e.cause?.message ?? e.message}`, headers: new Headers(), ms: performance.now() - t0 };
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON: the message is the text */
  }
  return { status: res.status, json, text, headers: res.headers, ms: performance.now() - t0 };
}

/** Statuses that no later question will get past: stop and say what the server said. */
function fatalFor(status: number, message: string, o: LiveOptions): Fatal | null {
  if (status === 401 || status === 403) {
    return new Fatal(`Assay refused the key (${status}): ${message}\n  pass --key=<an Assay API key> or set ASSAY_API_KEY${o.key ? '' : ' (none was given)'}`);
  }
  if (status === 404) return new Fatal(`no model ${JSON.stringify(o.model)} (404): ${message}\n  use a route name or <provider>/<model> from GET ${o.url}/v1/models`);
  return null;
}

async function ask(row: RowSpec, qn: Question, o: LiveOptions): Promise<Obs> {
  const r = await post(requestFor(row, qn, o), o);
  const base: Obs = { qn, status: r.status, content: '', verdict: null, calls: 0, tokens: null, layerMs: null, wallMs: r.ms, miscounted: false, error: null };
  if (r.status === 200) {
    const body = r.json as { choices?: { message?: { content?: unknown } }[]; usage?: { total_tokens?: number }; assay?: { verification?: VerificationReport } };
    const report = body.assay?.verification ?? null;
    const content = body.choices?.[0]?.message?.content;
    const usage = body.usage?.total_tokens ?? null;
    const header = r.headers.get('x-assay-verification-calls');
    return {
      ...base,
      content: typeof content === 'string' ? content : '',
      verdict: report?.verdict ?? null,
      calls: report ? report.calls ?? NaN : 1,
      tokens: report ? report.tokens ?? null : usage,
      layerMs: report?.ms ?? null,
      miscounted: report !== null && (header !== String(report.calls) || (usage !== null && usage !== report.tokens)),
    };
  }
  const message = r.status === 0 ? r.text : errorMessage(r.json, r.text);
  const fatal = fatalFor(r.status, message, o);
  if (fatal) throw fatal;
  if (r.status === 422) {
    return { ...base, verdict: 'failed', calls: Number(r.headers.get('x-assay-verification-calls') ?? NaN), layerMs: Number(r.headers.get('x-assay-verification-ms') ?? NaN), error: message };
  }
  return { ...base, error: `${r.status || 'request failed'}: ${message}` };
}

// ---------------------------------------------------------------------------------------------
// Running

/** One strategy row's answers, in question order. */
export interface Row {
  spec: RowSpec;
  obs: Obs[];
}

async function runRow(spec: RowSpec, questions: Question[], o: LiveOptions): Promise<Row> {
  const obs: Obs[] = new Array(questions.length);
  let next = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: Math.min(o.concurrency, questions.length) }, async () => {
      while (next < questions.length) {
        const i = next++;
        obs[i] = await ask(spec, questions[i], o);
        if (obs[i].error && obs[i].status !== 422 && ++errors <= 3) log(`  question ${i + 1}: ${obs[i].error}`);
      }
    }),
  );
  return { spec, obs };
}

export async function live(argv: string[]): Promise<void> {
  try {
    await run(liveOptions(argv));
  } catch (err) {
    if (!(err instanceof Fatal)) throw err;
    log(`bench:verify --live: ${err.message}`);
    process.exitCode = 2;
  }
}

async function run(o: LiveOptions): Promise<void> {
  const questions = liveQuestions(o.n, o.seed);
  const specs = rowSpecs(o);
  log(`bench:verify --live: ${o.n} questions to ${o.model} at ${o.url}, rows ${specs.map((s) => s.strategy).join(', ')}, ${o.concurrency} at a time`);

  // One request first, so a wrong URL, key or model stops here with the server's message.
  const probe = await post(requestFor(specs[0], questions[0], o), o);
  if (probe.status !== 200) {
    const message = probe.status === 0 ? probe.text : errorMessage(probe.json, probe.text);
    throw fatalFor(probe.status, message, o) ?? new Fatal(`the first request failed (${probe.status || 'no response'}): ${message}`);
  }

  const t0 = performance.now();
  const rows: Row[] = [];
  for (const spec of specs) {
    const t = performance.now();
    const row = await runRow(spec, questions, o);
    rows.push(row);
    const s = statsOf(row);
    log(`${spec.strategy} ${spec.params}: ${s.correct}/${s.n} correct in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    if (s.errors > s.n / 4) {
      const first = row.obs.find((x) => x.error && x.status !== 422)!.error;
      throw new Fatal(`${s.errors} of ${s.n} requests of the ${spec.strategy} row failed (the first: ${first}); nothing measured is worth printing`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;

  const { miscounted, errors } = printReport(rows, o, seconds);
  if (miscounted || errors) process.exitCode = 1;
}
