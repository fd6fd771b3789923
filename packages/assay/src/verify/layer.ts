/**
 * The verification layer of the model pipeline (docs/verify.md). A call is verified when its route
 * has `verify:` or its body has `assay.verify` (which replaces the route's; `false` turns it off),
 * unless the route's is `required`: then the call may only narrow it. Every model it names must be
 * one the key may call (checked before any model call).
 * The strategies get their candidates from the rest of the pipeline (tool loop → router) without
 * streaming; a streaming client gets the verified answer as a stream after verification ends, so
 * nothing unverified is ever sent. The answer carries the report in `assay.verification`, usage
 * summed over every call, and `x-assay-verification*` headers.
 */
import { formatPath } from '../config/load.js';
import { AssayError, badRequest } from '../errors.js';
import { completionAsChunks } from '../gateway/chunks.js';
import { usageFields } from '../gateway/router/index.js';
import type { Embedder } from '../gateway/embedder.js';
import type { ModelRegistry } from '../gateway/registry.js';
import type { CallContext, ChatHandler, Layer } from '../gateway/spec.js';
import type { ChatCompletion, ChatRequest } from '../gateway/types.js';
import { newSpanId } from '../tracing/ids.js';
import type { Sandbox } from '../sandbox/index.js';
import { Verification, withContent } from './run.js';
import { checkPlanModels, narrowRequired, type VerifyPlan } from './narrow.js';
import { budgetSchema, defaultOnFail, verifySchema, writtenAsList } from './spec.js';
import { chainName, prepare } from './strategies/index.js';
import type { Outcome, VerificationReport } from './types.js';

export interface VerifyDeps {
  registry: ModelRegistry;
  /** The router: verifier and grader calls go straight to it. */
  direct: ChatHandler;
  sandbox: Sandbox;
  embedFor?: (model: string) => Embedder;
  embed?: Embedder;
  storeBodies: boolean;
}

/** The call's verification, or null when it has none. A required route's can only be narrowed (narrow.ts). */
export function verifyPlan(req: ChatRequest, registry: ModelRegistry): VerifyPlan | null {
  const route = registry.route(req.model);
  const routePlan = route?.verify ? { spec: route.verify, path: [`routes[${route.name}]`, 'verify'] } : null;
  if (!req.assay || !('verify' in req.assay)) return routePlan;
  if (routePlan?.spec.required) return narrowRequired(routePlan, req.assay.verify);
  const r = verifySchema.safeParse(req.assay.verify);
  if (!r.success) {
    const issue = r.error.issues[0];
    const param = formatPath(['assay', 'verify', ...issue.path]);
    throw badRequest(`${param}: ${issue.message}`, param, 'invalid_verify');
  }
  if (r.data === false) return null;
  if (r.data.required !== undefined) {
    const param = formatPath(['assay', 'verify', ...(writtenAsList.has(r.data) ? [0] : []), 'required']);
    throw badRequest(`${param}: required is a route's option (routes[].verify), not a call's`, param, 'invalid_verify');
  }
  return { spec: r.data, path: ['assay', 'verify'] };
}

/** Every target of the model is a local model, whose JSON output the provider enforces by grammar. */
function grammarEnforced(registry: ModelRegistry, model: string): boolean {
  const targets = registry.resolve(model).targets;
  return targets.length > 0 && targets.every((t) => t.provider.type === 'local');
}

const HEADER_PREFIX = 'x-assay-verification';

function headersOf(report: VerificationReport, chain: string): Record<string, string> {
  return {
    [HEADER_PREFIX]: report.verdict,
    [`${HEADER_PREFIX}-strategy`]: chain,
    [`${HEADER_PREFIX}-confidence`]: report.confidence === null ? 'null' : String(Math.round(report.confidence * 1000) / 1000),
    [`${HEADER_PREFIX}-attempts`]: String(report.attempts.length),
    [`${HEADER_PREFIX}-calls`]: String(report.calls),
    [`${HEADER_PREFIX}-tokens`]: String(report.tokens),
    [`${HEADER_PREFIX}-ms`]: Number(report.ms).toFixed(3),
  };
}

/** The answer when verification abstains: a plain assistant message saying why. */
function abstention(o: Outcome, req: ChatRequest): ChatCompletion {
  const text = `I can't give a verified answer to this: ${o.report.reason}.`;
  if (o.completion) return withContent(o.completion, text);
  return {
    id: `chatcmpl-${newSpanId()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: req.model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop', logprobs: null }],
  };
}

export function verifyLayer(deps: VerifyDeps): Layer {
  return (next: ChatHandler): ChatHandler =>
    async (req, ctx: CallContext) => {
      const plan = verifyPlan(req, deps.registry);
      if (!plan) return next(req, ctx);
      checkPlanModels(ctx, plan);
      if ((req.n ?? 1) !== 1) throw badRequest('n must be 1 when the answer is verified (use verify: {strategy: "vote", samples: N} to sample several)', 'n');
      const { spec } = plan;
      const run = prepare(spec, req, { path: plan.path, grammar: grammarEnforced(deps.registry, req.model), embedFor: deps.embedFor, embed: deps.embed }, writtenAsList.has(spec));
      const { verify: _v, ...restAssay } = req.assay ?? {};
      const base: ChatRequest = { ...req, stream: false, assay: Object.keys(restAssay).length ? restAssay : undefined };
      delete base.stream_options;
      if (!base.assay) delete base.assay;
      const v = new Verification(
        { ctx, next, direct: deps.direct, sandbox: deps.sandbox, scorers: { embedFor: deps.embedFor, embed: deps.embed }, storeBodies: deps.storeBodies },
        budgetSchema.parse(spec.budget ?? {}),
      );
      const outcome = await run(base, v, ctx.span);
      const ms = v.elapsedMs();
      const report: VerificationReport = { ...outcome.report, calls: v.calls, tokens: v.usage.total, ms };
      const chain = chainName(spec);
      const headers = { ...outcome.headers, ...headersOf(report, chain), 'x-assay-upstream-ms': ms.toFixed(3) };
      ctx.span.meta({ verification: { strategy: chain, verdict: report.verdict, confidence: report.confidence, calls: report.calls, reason: report.reason } });

      let completion = outcome.completion;
      if (report.verdict === 'failed' || report.verdict === 'abstained' || !completion) {
        const onFail = defaultOnFail(spec);
        if (onFail === 'error') {
          // The refused answer still cost tokens: the call's span (which budgets count) says how many.
          ctx.span.set(usageFields(v.usage.usage()));
          throw new AssayError({
            status: 422,
            type: 'verification_error',
            code: 'verification_failed',
            message: `The answer did not pass verification (${chain}): ${report.reason}. The trace ${ctx.traceId} has every attempt.`,
            headers,
          });
        }
        if (onFail === 'abstain' || !completion) completion = abstention(outcome, req);
      }
      const usage = v.usage.usage();
      const final: ChatCompletion = { ...completion, assay: { ...((completion.assay as Record<string, unknown>) ?? {}), verification: report } };
      if (usage) final.usage = usage;
      else delete final.usage;
      if (req.stream === true) return { kind: 'stream', chunks: completionAsChunks(final), headers };
      return { kind: 'response', response: final, headers };
    };
}
