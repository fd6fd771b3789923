/**
 * The tool-loop layer of the model pipeline. A call gets server-side tools from its route's
 * `tools:` list and from `assay.tools` in the body, within what the calling key may add (authz.ts);
 * without any, the layer is a pass-through.
 * With tools, they are resolved first (a tool source that cannot serve fails the call loudly),
 * then the loop (run.ts) drives the model. A streaming call is held until its first chunk, so a
 * failure before any output is still an HTTP error rather than an in-band one.
 */
import { formatPath } from '../../config/load.js';
import { badRequest } from '../../errors.js';
import { prepend } from '../../gateway/chunks.js';
import type { ModelRegistry } from '../../gateway/registry.js';
import type { ChatHandler, Layer } from '../../gateway/spec.js';
import type { ChatRequest } from '../../gateway/types.js';
import { requestToolsSchema, toolLoopSchema, type ToolLoopOptions, type ToolSpec } from '../spec.js';
import type { ToolResolver } from '../resolve.js';
import { authorizeTools, checkLoopLimits, grantOf } from '../authz.js';
import { PendingExchanges } from './pending.js';
import { runToolLoop, type LoopOutcome } from './run.js';

export interface ToolLoopDeps {
  registry: ModelRegistry;
  resolver: ToolResolver;
  storeBodies: boolean;
  pending?: PendingExchanges;
  log?: (msg: string) => void;
}

type ToolKey = Parameters<typeof grantOf>[0];

interface LoopPlan {
  specs: ToolSpec[];
  options: ToolLoopOptions;
  progress: boolean;
}

/**
 * The tools and limits of a call, or null when it has no server-side tools. Request tools and
 * limits are checked against the route and the calling key (authz.ts).
 */
export function loopPlan(req: ChatRequest, registry: ModelRegistry, key: ToolKey | null): LoopPlan | null {
  const route = registry.route(req.model);
  let ext: ReturnType<typeof requestToolsSchema.parse> = {};
  if (req.assay && ('tools' in req.assay || 'tool_loop' in req.assay || 'progress' in req.assay)) {
    const r = requestToolsSchema.safeParse(req.assay);
    if (!r.success) {
      const issue = r.error.issues[0];
      const param = formatPath(['assay', ...issue.path]);
      throw badRequest(`${param}: ${issue.message}`, param, 'invalid_tool');
    }
    ext = r.data;
  }
  const grant = grantOf(key);
  const specs = authorizeTools(ext.tools ?? [], route ? { name: req.model, tools: route.tools } : null, grant);
  if (!specs.length) return null;
  checkLoopLimits(ext.tool_loop ?? {}, route?.tool_loop, grant);
  return {
    specs,
    options: toolLoopSchema.parse({ ...(route?.tool_loop ?? {}), ...(ext.tool_loop ?? {}) }),
    progress: ext.progress === true,
  };
}

export function toolLoopLayer(deps: ToolLoopDeps): Layer {
  const pending = deps.pending ?? new PendingExchanges();
  return (next: ChatHandler): ChatHandler =>
    async (req, ctx) => {
      const plan = loopPlan(req, deps.registry, ctx.key ?? null);
      if (!plan) return next(req, ctx);
      if ((req.n ?? 1) !== 1) throw badRequest('n must be 1 when server-side tools run (each choice would need its own tool loop)', 'n');
      const resolved = await deps.resolver.resolve(plan.specs, {
        signal: ctx.signal, userId: ctx.userId, key: ctx.key, traceId: ctx.traceId, span: ctx.span, messages: req.messages,
      });
      const clash = (req.tools ?? []).find((t) => resolved.tools.some((s) => s.name === t.function?.name));
      if (clash) {
        throw badRequest(`the client tool "${clash.function.name}" has the name of a server-side tool of this call: rename it`, 'tools', 'invalid_tool');
      }
      ctx.span.meta({ server_tools: resolved.tools.map((t) => t.name) });
      const streaming = req.stream === true;
      // A stream's headers go out before the loop ends: they describe the step that produced the first chunk.
      let stepHeaders: Record<string, string> = {};
      const gen = runToolLoop({
        next, req, ctx, tools: resolved.tools, context: resolved.context, options: plan.options, progress: plan.progress,
        streaming, pending, storeBodies: deps.storeBodies, onStepHeaders: (h) => (stepHeaders = h),
      });
      const finished = (outcome: LoopOutcome) => {
        for (const f of resolved.onFinish) {
          try {
            f(outcome.conversation);
          } catch (err) {
            deps.log?.(`tool loop: after-answer hook failed: ${(err as Error).message}`);
          }
        }
      };
      if (!streaming) {
        let r = await gen.next();
        while (!r.done) r = await gen.next();
        finished(r.value);
        return { kind: 'response', response: r.value.completion, headers: r.value.headers };
      }
      const first = await gen.next();
      if (first.done) {
        finished(first.value);
        return { kind: 'response', response: first.value.completion, headers: first.value.headers };
      }
      async function* rest() {
        finished(yield* gen); // yield* also hands a client's early return() to the loop, which releases the upstream
      }
      return { kind: 'stream', chunks: prepend(first.value, rest()), headers: { ...stepHeaders, 'x-assay-tool-loop': 'on' } };
    };
}
