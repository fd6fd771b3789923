/**
 * bench:verify's simulation (run.ts runs it unless --live; live.ts is the real-model mode) — a
 * SIMULATION, not a claim about real models. A stochastic fake model answers a synthetic
 * arithmetic set ("What is a + b?") correctly with probability p (otherwise with one fixed
 * distractor, a + b + 1, so wrong answers agree with each other) and breaks its
 * JSON with probability q; asked for a program (the `program` strategy) it writes
 * `return a + b` (probability p) or `return a + b + 1`, and with probability q code that throws.
 * Each call is drawn independently: the model ignores feedback. Every request goes in-process
 * through the real verification layer and router (packages/assay/src/verify, no HTTP), with and
 * without each strategy, and the measured accuracy, validity and model calls per question are
 * printed beside what theory predicts (theory.ts; the rows and their predictions are in
 * sim-scenarios.ts):
 *   - schema with k retries: valid 1 − q^(k+1), calls (1 − q^(k+1))/(1 − q);
 *   - vote of N: majority of N binomial draws (trinomial with a "no vote" outcome when samples
 *     can be unreadable), calls N;
 *   - program with k retries: ran 1 − q^(k+1), correct p(1 − q^(k+1));
 *   - judge (a javascript assertion that knows the right answer) with k attempts: 1 − (1−p)^k,
 *     calls (1 − (1−p)^k)/p.
 * A row is ✓ when measured is within 3 standard errors (of the theoretical proportion) of theory;
 * the exit code is 1 when any row misses or the layer's call/token counts disagree with the model's.
 *
 *   npm run bench:verify [-- --n=2000] [--program-n=1000] [--seed=20261126] [--p=0.65] [--q=0.25] [--no-write]
 */
import { cpus, platform, release } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { routerDefaultsSchema } from '../../packages/assay/src/config/schema.js';
import { AssayError } from '../../packages/assay/src/errors.js';
import { wilson } from '../../packages/assay/src/evals/stats/proportions.js';
import { ModelRegistry } from '../../packages/assay/src/gateway/registry.js';
import { createRouter } from '../../packages/assay/src/gateway/router/index.js';
import type { CallContext, Provider } from '../../packages/assay/src/gateway/spec.js';
import type { ChatMessage, ChatRequest } from '../../packages/assay/src/gateway/types.js';
import { Sandbox } from '../../packages/assay/src/sandbox/index.js';
import { emptyObservation, Span } from '../../packages/assay/src/tracing/span.js';
import { verifyLayer } from '../../packages/assay/src/verify/layer.js';
import { PROGRAM_INSTRUCTIONS } from '../../packages/assay/src/verify/strategies/program.js';
import type { VerificationReport } from '../../packages/assay/src/verify/types.js';
import { rng } from '../lib/random.js';
import { writeDocSection } from '../lib/doc-section.js';
import { argOf, f3, fd, log, ROOT } from './common.js';
import { scenarios, type Obs, type Question, type Scenario, type ScenarioOptions } from './sim-scenarios.js';

interface SimOptions extends ScenarioOptions {
  argv: string[];
  seed: number;
  write: boolean;
}

function simOptions(argv: string[]): SimOptions {
  const arg = (name: string) => argOf(argv, name);
  return {
    argv,
    n: Number(arg('n') ?? 2000),
    programN: Number(arg('program-n') ?? 1000),
    seed: Number(arg('seed') ?? 20261126),
    p: Number(arg('p') ?? 0.65),
    q: Number(arg('q') ?? 0.25),
    write: !argv.includes('--no-write'),
  };
}
const CONCURRENCY = 16;

// ---------------------------------------------------------------------------------------------
// The fake model

/** A 32-bit mix (murmur3's finalizer), so neighbouring questions get unrelated random streams. */
function mix(...xs: number[]): number {
  let h = 0x9e3779b9;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** The current row's model parameters and the per-question random streams and call counts. */
const sim = {
  p: 0,
  q: 0,
  streams: new Map<string, () => number>(),
  calls: new Map<string, number>(),
};

const textOf = (m: ChatMessage | undefined): string => (typeof m?.content === 'string' ? m.content : '');

const provider: Provider = {
  id: 'sim',
  type: 'openai',
  models: () => ['m'],
  close: async () => {},
  embeddings: async () => {
    throw new Error('no embeddings');
  },
  async chat(req) {
    // The question is the FIRST user message: retries append the previous answer and feedback.
    const question = textOf(req.messages.find((m) => m.role === 'user'));
    const m = /What is (\d+) \+ (\d+)\?/.exec(question);
    const draw = sim.streams.get(question);
    if (!m || !draw) throw new Error(`the fake model got an unknown question: ${question}`);
    sim.calls.set(question, (sim.calls.get(question) ?? 0) + 1);
    const a = Number(m[1]);
    const b = Number(m[2]);
    const correct = draw() < sim.p;
    const broken = draw() < sim.q;
    const wantsCode = req.messages.some((x) => x.role === 'system' && textOf(x) === PROGRAM_INSTRUCTIONS);
    let content: string;
    if (wantsCode) {
      const code = broken ? 'const x = a + b;\nthrow new Error("oops");' : correct ? 'return a + b;' : 'return a + b + 1;';
      content = `\`\`\`javascript\nconst a = ${a};\nconst b = ${b};\n${code}\n\`\`\``;
    } else {
      const json = JSON.stringify({ answer: correct ? a + b : a + b + 1 });
      content = broken ? json.slice(0, -1) : json; // `{"answer":42` — truncated
    }
    return {
      kind: 'response',
      response: {
        id: `sim-${mix(a, b, sim.calls.get(question)!)}`,
        object: 'chat.completion',
        created: 0,
        model: req.model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// The real layer and router, in-process

const defaults = routerDefaultsSchema.parse({});
const registry = new ModelRegistry(new Map([['sim', provider]]), [], defaults);
const router = createRouter({ registry, defaults, maxStreamMs: 600_000 }); // no streams here: the verify layer calls the router without streaming
const sandbox = new Sandbox();
const chat = verifyLayer({ registry, direct: router.chat, sandbox, storeBodies: false })(router.chat);
const sink = { record: () => undefined };

function ctxFor(id: string): CallContext {
  const span = new Span(sink, emptyObservation({ trace_id: id, type: 'generation', name: 'chat.completions' }));
  return { traceId: id, signal: new AbortController().signal, keyId: null, userId: null, sessionId: null, tags: [], metadata: {}, span };
}

const RESPONSE_FORMAT = {
  type: 'json_schema',
  json_schema: {
    name: 'answer',
    schema: { type: 'object', properties: { answer: { type: 'integer' } }, required: ['answer'], additionalProperties: false },
  },
} as const;

// ---------------------------------------------------------------------------------------------
// Running

async function ask(s: Scenario, qn: Question): Promise<Obs> {
  const req: ChatRequest = {
    model: 'sim/m',
    messages: [{ role: 'user', content: qn.text }],
    ...(s.program ? {} : { response_format: RESPONSE_FORMAT }),
    ...(s.verify ? { assay: { verify: s.verify(qn) } } : {}),
  } as ChatRequest;
  const base = { q: qn, seen: 0, tokens: [] as number[] };
  try {
    const r = await chat(req, ctxFor(`q${qn.id}`));
    if (r.kind !== 'response') throw new Error('expected a response');
    const report = (r.response.assay as { verification?: VerificationReport } | undefined)?.verification;
    const content = r.response.choices[0]?.message?.content;
    return {
      ...base,
      status: 200,
      content: typeof content === 'string' ? content : '',
      verdict: report?.verdict ?? null,
      calls: report ? report.calls ?? NaN : 1,
      tokens: [report ? report.tokens ?? NaN : 15, r.response.usage?.total_tokens ?? NaN],
      headerCalls: r.headers?.['x-assay-verification-calls'] ?? null,
    };
  } catch (err) {
    if (err instanceof AssayError && err.status === 422) {
      return { ...base, status: 422, content: '', verdict: 'failed', calls: Number(err.headers['x-assay-verification-calls']), headerCalls: err.headers['x-assay-verification-calls'] ?? null };
    }
    throw err;
  }
}

interface Row {
  s: Scenario;
  obs: Obs[];
  ms: number;
  /** Questions where the layer's call or token count (report, header, usage) differs from what the model saw. */
  miscounted: number;
}

async function runScenario(s: Scenario, index: number, SEED: number): Promise<Row> {
  sim.q = s.q;
  sim.streams.clear();
  sim.calls.clear();
  const draw = rng(mix(SEED, 0xabc));
  const questions: Question[] = Array.from({ length: s.n }, (_, id) => {
    const a = 10 + Math.floor(draw() * 990);
    const b = 10 + Math.floor(draw() * 990);
    const text = `Question ${id + 1}: What is ${a} + ${b}?`;
    sim.streams.set(text, rng(mix(SEED, index + 1, id + 1)));
    return { id, a, b, text };
  });
  const obs: Obs[] = new Array(s.n);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < questions.length) {
        const i = next++;
        obs[i] = await ask(s, questions[i]);
      }
    }),
  );
  const ms = performance.now() - t0;
  let miscounted = 0;
  for (const o of obs) {
    o.seen = sim.calls.get(o.q.text) ?? 0;
    const badTokens = o.status === 200 && o.tokens.some((t) => t !== 15 * o.seen);
    if (o.seen !== o.calls || (s.verify && o.headerCalls !== String(o.calls)) || badTokens) miscounted++;
  }
  return { s, obs, ms, miscounted };
}

// ---------------------------------------------------------------------------------------------
// Report

function metricCells(n: number, x: number, theory: number): { measured: string; diff: string; ok: boolean } {
  const w = wilson(x, n);
  const se = Math.sqrt((theory * (1 - theory)) / n);
  const d = Math.abs(x / n - theory);
  const z = se > 0 ? d / se : d === 0 ? 0 : Infinity;
  return { measured: `${f3(x / n)} [${f3(w.low!)}, ${f3(w.high!)}]`, diff: fd(z), ok: z <= 3 };
}

function callsCell(r: Row): { text: string; ok: boolean } {
  const xs = r.obs.map((o) => o.calls);
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
  const se = sd / Math.sqrt(n);
  const d = Math.abs(mean - r.s.callsTheory);
  const z = se > 0 ? d / se : d < 1e-9 ? 0 : Infinity;
  const ok = z <= 3;
  return { text: `${f3(mean)} vs ${f3(r.s.callsTheory)} ${ok ? '✓' : `✗ (${fd(z)} SE)`}`, ok };
}

/** The simulation: every scenario through the real layer, the table printed (and written into docs/benchmarks.md unless --no-write). */
export async function simulate(argv: string[]): Promise<void> {
  const o = simOptions(argv);
  const { p: P, q: Q, seed: SEED } = o;
  sim.p = P;
  const t0 = performance.now();
  const list = scenarios(o);
  const rows: Row[] = [];
  for (const [i, s] of list.entries()) {
    const r = await runScenario(s, i, SEED);
    rows.push(r);
    log(`${s.name} ${s.params}: ${r.obs.length} questions in ${(r.ms / 1000).toFixed(1)} s`);
  }
  await sandbox.close();
  const seconds = (performance.now() - t0) / 1000;

  const lines = [
    '| scenario | parameters | n | metric | measured [95% CI] | theory | \\|diff\\| / SE | | calls per question: measured vs theory |',
    '|---|---|---:|---|---|---:|---:|:-:|---|',
  ];
  let misses = 0;
  let callMisses = 0;
  let miscounted = 0;
  for (const r of rows) {
    const calls = callsCell(r);
    if (!calls.ok) callMisses++;
    miscounted += r.miscounted;
    r.s.metrics.forEach((m, j) => {
      const x = r.obs.filter(m.hit).length;
      const c = metricCells(r.obs.length, x, m.theory);
      if (!c.ok) misses++;
      lines.push(`| ${j === 0 ? r.s.name : ''} | ${j === 0 ? r.s.params : ''} | ${j === 0 ? r.obs.length : ''} | ${m.name} | ${c.measured} | ${f3(m.theory)} | ${c.diff} | ${c.ok ? '✓' : '✗'} | ${j === 0 ? calls.text : ''} |`);
    });
  }
  const metricCount = rows.reduce((a, r) => a + r.s.metrics.length, 0);
  const summary =
    `${metricCount - misses} of ${metricCount} measured proportions within 3 SE of theory${misses ? ` (**${misses} miss${misses > 1 ? 'es' : ''}**)` : ''}; ` +
    `calls per question within 3 SE in ${rows.length - callMisses} of ${rows.length} rows. ` +
    (miscounted ? `**${miscounted} questions where the layer's call or token count (report, header or usage) differs from what the model saw.**` : "The layer's count of calls (report and `x-assay-verification-calls`) and of tokens (report and `usage`) equals what the fake model saw on every question.");
  const flags = argv.filter((a) => a !== '--no-write');
  const cmd = `npm run bench:verify${flags.length ? ` -- ${flags.join(' ')}` : ''}`;
  const md = [
    `> **SIMULATION with a fake model, not a claim about real models.** A stochastic fake model answers "What is a + b?" correctly with probability p = ${P} (otherwise always a + b + 1, so wrong answers agree) and truncates its JSON with probability q = ${Q} (0 in the rows that say q=0); asked for a program it writes \`return a + b\` (p), \`return a + b + 1\`, or code that throws (q). Every call is an independent draw (the model ignores feedback). Requests go in-process through the real verification layer and router. This checks that each strategy does what its arithmetic says, and what it costs in model calls; a real model's errors on one question are correlated, so its gains are usually smaller.`,
    '',
    `Run ${new Date().toISOString().slice(0, 10)} on ${cpus().length}× ${cpus()[0]?.model ?? 'unknown CPU'}, ${platform()} ${release()}, Node ${process.version}. Command: \`${cmd}\` (seed ${SEED}, took ${seconds.toFixed(0)} s).`,
    '',
    'Theory: baseline valid 1 − q, correct p(1 − q). schema with k retries: valid 1 − q^(k+1), calls (1 − q^(k+1))/(1 − q). vote of N (q = 0): correct = P(Bin(N, p) > N/2), calls N; an even N abstains on a tie, with probability C(N, N/2)(p(1 − p))^(N/2). vote with unreadable samples: each sample correct with p·v, wrong with (1 − p)·v, no vote with 1 − v (v = 1 − q^(k+1), k retries of the inner schema; v = 1 − q without schema); the vote is right iff C > W and C/N ≥ 0.5 (exact trinomial sum); "abstained" counts abstentions and votes with no readable sample. program with k retries: ran 1 − q^(k+1), correct p(1 − q^(k+1)). judge with k attempts (the javascript assertion knows a + b): correct 1 − (1 − p)^k, calls (1 − (1 − p)^k)/p. Calls per question are model calls (the baseline is 1: the cost multiplier); sandbox runs are not model calls.',
    '',
    'measured is the share of n questions, with its 95% Wilson interval; |diff| / SE is the distance from theory in standard errors of the theoretical proportion (√(θ(1 − θ)/n)); ✓ within 3 SE. With this many rows, one miss at 3 SE in a run is expected now and then by chance alone.',
    '',
    ...lines,
    '',
    `${summary}`,
    '',
  ].join('\n');
  console.log(md);
  if (o.write) writeDocSection(join(ROOT, 'docs/benchmarks.md'), '<!-- bench:verify:begin -->', '<!-- bench:verify:end -->', 'Verification: simulated strategies vs theory', `<!-- bench:verify:begin -->\n${md}<!-- bench:verify:end -->`);
  if (misses || callMisses || miscounted) process.exitCode = 1;
}
