/** Input checks shared by every store: each failure says what to fix. */
import { badRequest } from '../../errors.js';
import type { KnowledgeBase, MetadataFilter, MetadataValue, SearchArms, SearchQuery } from './types.js';

export const MAX_K = 200;
export const MAX_DIMS = 4096;
export const MAX_FILTER_KEYS = 16;
export const MAX_FILTER_VALUES = 256;
const FILTER_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export function checkKbInput(input: { name: string; model: string; dims: number }): void {
  if (typeof input?.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(input.name)) {
    throw badRequest('knowledge base name must be 1–64 characters: letters, digits, "_", "." or "-", starting with a letter or digit', 'name');
  }
  if (typeof input.model !== 'string' || input.model.trim() === '' || input.model.length > 200) {
    throw badRequest('knowledge base model must be the embedding model id (1–200 characters)', 'model');
  }
  if (!Number.isInteger(input.dims) || input.dims < 1 || input.dims > MAX_DIMS) {
    throw badRequest(`knowledge base dims must be an integer from 1 to ${MAX_DIMS} (the embedding model's dimension), got ${String(input.dims)}`, 'dims');
  }
}

/**
 * Copies a vector into a Float32Array after checking its dimension against the base and that it
 * is finite and not all zeros (cosine distance is undefined for a zero vector).
 */
export function toVector(kb: KnowledgeBase, v: ArrayLike<number> | undefined, what: string): Float32Array {
  if (v == null || typeof v.length !== 'number') throw badRequest(`${what}: a vector (array of numbers) is required`, 'vector');
  if (v.length !== kb.dims) {
    throw badRequest(
      `${what} has ${v.length} dimensions but knowledge base "${kb.name}" (model ${kb.model}) has ${kb.dims}: embed with ${kb.model}, or create a knowledge base for the other model`,
      'vector',
      'dimension_mismatch',
    );
  }
  const out = Float32Array.from(v);
  let nonZero = false;
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) throw badRequest(`${what}: element ${i} is not a finite number`, 'vector');
    if (out[i] !== 0) nonZero = true;
  }
  if (!nonZero) throw badRequest(`${what}: the vector is all zeros, which has no direction for cosine distance`, 'vector');
  return out;
}

export interface NormalizedQuery {
  arms: SearchArms;
  k: number;
  text: string | null;
  filter: [string, MetadataValue[]][];
}

export function normalizeQuery(q: SearchQuery): NormalizedQuery {
  if (q == null || typeof q !== 'object') throw badRequest('search needs a query object with vector and/or text');
  const k = q.k ?? 10;
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw badRequest(`k must be an integer from 1 to ${MAX_K}, got ${String(q.k)}`, 'k');
  const hasText = typeof q.text === 'string' && q.text.trim() !== '';
  if (q.text != null && typeof q.text !== 'string') throw badRequest('text must be a string', 'text');
  const hasVector = q.vector != null;
  const arms = q.arms ?? (hasText && hasVector ? 'hybrid' : hasVector ? 'vector' : 'text');
  if (arms !== 'vector' && arms !== 'text' && arms !== 'hybrid') throw badRequest(`arms must be "vector", "text" or "hybrid", got ${JSON.stringify(arms)}`, 'arms');
  if ((arms === 'vector' || arms === 'hybrid') && !hasVector) throw badRequest(`the ${arms} search needs a query vector`, 'vector');
  if ((arms === 'text' || arms === 'hybrid') && !hasText) throw badRequest(`the ${arms} search needs a non-empty query text`, 'text');
  return { arms, k, text: hasText ? (q.text as string) : null, filter: normalizeFilter(q.filter) };
}

function isScalar(v: unknown): v is MetadataValue {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

export function normalizeFilter(filter: MetadataFilter | undefined): [string, MetadataValue[]][] {
  if (filter == null) return [];
  if (typeof filter !== 'object' || Array.isArray(filter)) throw badRequest('filter must be an object of metadata key → value or list of values', 'filter');
  const entries = Object.entries(filter);
  if (entries.length > MAX_FILTER_KEYS) throw badRequest(`filter has ${entries.length} keys; at most ${MAX_FILTER_KEYS}`, 'filter');
  return entries.map(([key, value]) => {
    if (!FILTER_KEY.test(key)) throw badRequest(`filter key "${key}" must be 1–64 characters of letters, digits, "_", "." or "-"`, `filter.${key}`);
    const values = Array.isArray(value) ? value : [value];
    if (values.length === 0 || values.length > MAX_FILTER_VALUES) {
      throw badRequest(`filter.${key} must list 1 to ${MAX_FILTER_VALUES} values`, `filter.${key}`);
    }
    for (const v of values) {
      if (!isScalar(v)) throw badRequest(`filter.${key}: values must be strings, finite numbers, booleans or null, got ${JSON.stringify(v)}`, `filter.${key}`);
    }
    return [key, values];
  });
}
