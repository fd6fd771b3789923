/**
 * `vote` (self-consistency): `samples` candidates in parallel, an answer read from each, the most
 * common answer returned with its share of the samples as the confidence. Below `min_agreement`,
 * or on a tie for first place, the call abstains. A sample whose answer cannot be read (or whose
 * wrapped strategy did not pass) is a sample without a vote: it still counts in the share.
 */
import { compileAssertion, type CompiledAssertion } from '../../evals/scorers/index.js';
import type { ChatRequest } from '../../gateway/types.js';
import { isClientError, type Verification } from '../run.js';
import type { VoteSpec } from '../spec.js';
import type { AttemptReport, Outcome, StopReason } from '../types.js';
import { attempt, callsClientTool, endAttempt, skipped, specError, type Candidate, type PrepareCtx, type Produce, type Run } from './common.js';
import { extractor, normalizer } from './extract.js';

interface Vote {
  index: number;
  candidate: Candidate;
  answer: string;
  key: string;
}

/** Groups votes: by normalized key, or by a scorer that says whether two answers agree. */
type Grouper = (votes: Vote[], v: Verification, signal: AbortSignal) => Promise<Vote[][]>;

function byKey(votes: Vote[]): Vote[][] {
  const groups = new Map<string, Vote[]>();
  for (const vote of votes) {
    const g = groups.get(vote.key);
    if (g) g.push(vote);
    else groups.set(vote.key, [vote]);
  }
  return [...groups.values()];
}

function byScorer(match: CompiledAssertion): Grouper {
  return async (votes, _v, signal) => {
    const groups: Vote[][] = [];
    for (const vote of votes) {
      let home: Vote[] | undefined;
      for (const g of groups) {
        const r = await match({ output: vote.answer, expected: g[0].answer, vars: {} }, { signal });
        if (r.pass) {
          home = g;
          break;
        }
      }
      if (home) home.push(vote);
      else groups.push([vote]);
    }
    return groups;
  };
}

export function prepareVote(spec: VoteSpec, _req: ChatRequest, pc: PrepareCtx, produce: Produce): Run {
  let read: (content: string) => { ok: true; answer: string } | { ok: false; error: string };
  let group: Grouper;
  const extract = spec.extract;
  if (typeof extract === 'object' && 'scorer' in extract) {
    const s = extract.scorer;
    let match: CompiledAssertion;
    try {
      match = compileAssertion({ ...s, value: s.value ?? '{{expected}}' }, { embedFor: pc.embedFor, embed: pc.embed }, 'scorer');
    } catch (err) {
      throw specError(pc, ['extract'], (err as Error).message);
    }
    read = extractor('content');
    group = byScorer(match);
  } else {
    try {
      read = extractor(extract);
    } catch (err) {
      throw specError(pc, ['extract'], (err as Error).message); // e.g. a pattern valid only without the u flag
    }
    group = async (votes) => byKey(votes);
  }
  const norm = normalizer(spec.normalize);

  return async (req, v, span) => {
    let stopped: StopReason | undefined;
    const temperature = spec.temperature ?? req.temperature;
    const sample = (i: number) =>
      attempt(span, `sample ${i + 1}`, (r) => (stopped = r), (s) =>
        produce({ ...req, ...(temperature !== undefined ? { temperature } : {}), ...(typeof req.seed === 'number' ? { seed: req.seed + i } : {}) }, v, s),
      );
    const settled = await Promise.allSettled(Array.from({ length: spec.samples }, (_, i) => sample(i)));
    const clientError = settled.find((s) => s.status === 'rejected' && isClientError(s.reason));
    if (clientError) throw (clientError as PromiseRejectedResult).reason;
    if (settled.every((s) => s.status === 'rejected')) throw (settled[0] as PromiseRejectedResult).reason;

    const attempts: AttemptReport[] = [];
    const votes: Vote[] = [];
    for (const [i, s] of settled.entries()) {
      if (s.status === 'rejected') {
        attempts.push({ attempt: i + 1, verdict: 'error', reason: (s.reason as Error)?.message ?? String(s.reason), ms: 0 });
        continue;
      }
      if (!s.value) continue; // not started: the budget ran out
      const { value: c, ms, span: aspan } = s.value;
      if (callsClientTool(c.completion)) return skipped('vote', c, attempts);
      const got = c.ok ? read(c.content) : { ok: false as const, error: `the wrapped strategy did not pass: ${c.inner?.reason ?? ''}` };
      const key = got.ok ? norm(got.answer) : null;
      const report: AttemptReport = {
        attempt: i + 1,
        verdict: key !== null ? 'pass' : 'fail',
        ms,
        ...(got.ok ? { answer: got.answer.slice(0, 500) } : {}),
        ...(!got.ok ? { reason: got.error } : key === null ? { reason: 'the answer has no number in it' } : {}),
        ...(c.inner ? { inner: c.inner } : {}),
      };
      attempts.push(report);
      endAttempt(aspan, report);
      if (got.ok && key !== null) votes.push({ index: i, candidate: c, answer: got.answer, key });
    }

    const groups = (await group(votes, v, v.env.ctx.signal)).sort((a, b) => b.length - a.length || a[0].index - b[0].index);
    const tally = groups.map((g) => ({ answer: g[0].answer.slice(0, 500), votes: g.length }));
    const common = { strategy: 'vote', attempts, samples: spec.samples, votes: tally, ...(stopped ? { stopped } : {}) };
    if (!groups.length) {
      const fallback = attempts.length ? settled.map((s) => (s.status === 'fulfilled' ? s.value?.value : undefined)).find(Boolean) : undefined;
      return {
        completion: fallback?.completion ?? null,
        headers: fallback?.headers ?? {},
        report: { ...common, verdict: 'failed', confidence: 0, reason: `none of the ${attempts.length} samples gave an answer that could be read` },
      };
    }
    const top = groups[0];
    const confidence = top.length / spec.samples;
    const winner = top[0].candidate;
    const tie = groups.length > 1 && groups[1].length === top.length;
    const share = `${top.length} of ${spec.samples} samples`;
    if (confidence < spec.min_agreement) {
      return {
        completion: winner.completion,
        headers: winner.headers,
        report: { ...common, verdict: 'abstained', confidence, reason: `the most common answer has only ${share} (min_agreement ${spec.min_agreement})` },
      };
    }
    if (tie) {
      return { completion: winner.completion, headers: winner.headers, report: { ...common, verdict: 'abstained', confidence, reason: `the samples are split: the two most common answers have ${top.length} votes each` } };
    }
    return { completion: winner.completion, headers: winner.headers, report: { ...common, verdict: 'passed', confidence, reason: `${share} agree`, answer: top[0].answer.slice(0, 500) } };
  };
}
