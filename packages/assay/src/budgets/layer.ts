/**
 * The budget layer of the model pipeline: before a call, a spent budget blocks it (429 naming the
 * budget) or reroutes it to the budget's cheaper model or route; the call's span says which.
 */
import type { CallContext, ChatHandler, EmbeddingsHandler, Layer } from '../gateway/spec.js';
import type { BudgetService } from './service.js';

async function decide(budgets: BudgetService, model: string, ctx: CallContext): Promise<string> {
  const { rerouteTo, budget } = await budgets.check({
    projectId: ctx.span.observation.project_id,
    keyId: ctx.keyId,
    userId: ctx.userId,
    tags: ctx.tags,
  });
  if (!rerouteTo || !budget) return model;
  ctx.span.meta({ budget_reroute: { budget: budget.name, from: model, to: rerouteTo } });
  return rerouteTo;
}

export function budgetLayer(budgets: BudgetService): Layer {
  return (next: ChatHandler): ChatHandler =>
    async (req, ctx) => next({ ...req, model: await decide(budgets, req.model, ctx) }, ctx);
}

export function budgetEmbeddings(budgets: BudgetService, next: EmbeddingsHandler): EmbeddingsHandler {
  return async (req, ctx) => next({ ...req, model: await decide(budgets, req.model, ctx) }, ctx);
}
