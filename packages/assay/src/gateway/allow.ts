/**
 * The key's model allow-list, checked in one place for every model call of a request: the router
 * refuses a model the calling key may not use (whichever layer asked for it: the call itself, a
 * verifier or grader, a tool-loop step, memory extraction), and layers that take a model from an
 * option check it up front with `checkModel(ctx, model, from)` so the 403 names where it came from.
 */
import { AssayError } from '../errors.js';
import type { CallContext } from './spec.js';

/** Whether an allow-list lets a model name through; patterns may end in * (e.g. "upstream/*"); null allows all. */
export function modelAllowed(patterns: readonly string[] | null | undefined, model: string): boolean {
  if (!patterns) return true;
  return patterns.some((p) => (p.endsWith('*') ? model.startsWith(p.slice(0, -1)) : p === model));
}

/** The 403 for a model the key may not call; `from` names the option that asked for it (e.g. `assay.verify.model`). */
export function modelRefused(patterns: readonly string[], model: string, from: string | null = null): AssayError {
  const where = from ? ` (asked for by ${from})` : '';
  return new AssayError({
    status: 403,
    code: 'model_not_allowed',
    param: from ?? 'model',
    message: `This key may not call "${model}"${where}; it may call: ${patterns.join(', ')}`,
  });
}

/** Throws the 403 when the call's key may not use `model`. */
export function checkModel(ctx: Pick<CallContext, 'key'>, model: string, from: string | null = null): void {
  const models = ctx.key?.models;
  if (models && !modelAllowed(models, model)) throw modelRefused(models, model, from);
}
