/** A spec (with the strategies it wraps) prepared into one Run; each run traced as a `verify:<strategy>` span. */
import type { ChatRequest } from '../../gateway/types.js';
import type { StrategySpec } from '../spec.js';
import { prepareCheck } from './check.js';
import { candidateOf, type PrepareCtx, type Produce, type Run } from './common.js';
import { prepareJudge } from './judge.js';
import { prepareProgram } from './program.js';
import { prepareSchema } from './schema.js';
import { prepareVote } from './vote.js';

/** The model itself, as the innermost producer of candidates. */
const model: Produce = async (req, v, span) => ({ ...(await v.generate(req, span)), ok: true });

function traced(name: string, run: Run): Run {
  return async (req, v, parent) => {
    const span = parent.child('span', `verify:${name}`);
    try {
      const o = await run(req, v, span);
      const { attempts, ...summary } = o.report;
      span.meta({ ...summary, attempts: attempts.length });
      if (o.report.verdict === 'failed' || o.report.verdict === 'abstained') span.set({ level: 'WARNING' });
      span.end();
      return o;
    } catch (err) {
      const e = err as { message?: string; status?: number };
      if (!span.isEnded) span.fail({ message: e.message ?? String(err), status: e.status }).end();
      throw err;
    }
  };
}

/**
 * Prepares `spec` for this request. `list`: the option was written as a list, so the strategy at
 * depth d is named `…verify[d]` in errors.
 */
export function prepare(spec: StrategySpec, req: ChatRequest, pc: PrepareCtx, list: boolean, depth = 0): Run {
  const here: PrepareCtx = { ...pc, path: list ? [...pc.path, depth] : pc.path };
  let produce = model;
  if (spec.inner) {
    const inner = prepare(spec.inner, req, pc, list, depth + 1);
    produce = async (r, v, span) => candidateOf(await inner(r, v, span));
  }
  switch (spec.strategy) {
    case 'schema':
      return traced('schema', prepareSchema(spec, req, here, produce));
    case 'vote':
      return traced('vote', prepareVote(spec, req, here, produce));
    case 'program':
      return traced('program', prepareProgram(spec, req, here, produce));
    case 'check':
      return traced('check', prepareCheck(spec, req, here, produce));
    case 'judge':
      return traced('judge', prepareJudge(spec, req, here, produce));
  }
}

/** `vote>program` for a vote over program-aided samples. */
export function chainName(spec: StrategySpec): string {
  return spec.inner ? `${spec.strategy}>${chainName(spec.inner)}` : spec.strategy;
}
