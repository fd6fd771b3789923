/**
 * JSON Schema validation for assertions and grader answers, by ajv (draft 2020-12, strict about
 * keywords it does not know so a schema never silently checks less than it says; `format` is an
 * annotation). Errors read `data/items/0/name must be string`.
 */
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { linearRegExpEngine } from '../../config/regex.js';

// ajv's 2020-12 build is CommonJS with a default export: loaded through require for both tsx and tsc output.
const Ajv2020 = createRequire(import.meta.url)('ajv/dist/2020').default as typeof import('ajv/dist/2020.js').default;
const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, strictTuples: false, allowUnionTypes: true, validateFormats: false, code: { regExp: linearRegExpEngine } });

export interface SchemaIssue {
  /** JSON Pointer of the failing value ('' = the root). */
  path: string;
  message: string;
}

export type SchemaValidator = (value: unknown) => SchemaIssue[];

export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

/** JSON deep equality (object key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.hasOwn(bo, k) && deepEqual(ao[k], bo[k]));
}

function issue(e: ErrorObject): SchemaIssue {
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') return { path: e.instancePath, message: `must not have additional property '${String(p.additionalProperty)}'` };
  if (e.keyword === 'required') return { path: e.instancePath, message: `must have required property '${String(p.missingProperty)}'` };
  if (e.keyword === 'enum') return { path: e.instancePath, message: `must be one of ${JSON.stringify(p.allowedValues)}` };
  if (e.keyword === 'const') return { path: e.instancePath, message: `must be ${JSON.stringify(p.allowedValue)}` };
  return { path: e.instancePath, message: e.message ?? e.keyword };
}

/** Checks a schema and returns its validator; throws SchemaError saying what is wrong with it. */
export function compileSchema(schema: unknown): SchemaValidator {
  if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
    throw new SchemaError('a schema must be an object or a boolean');
  }
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema as object);
  } catch (err) {
    throw new SchemaError((err as Error).message);
  } finally {
    // Schemas come from users: keep none in ajv's cache (each compile is independent).
    ajv.removeSchema();
  }
  return (value) => (validate(value) ? [] : (validate.errors ?? []).map(issue));
}

/** `data/a/0 must be string; data must have required property 'x'` (the first `max` issues). */
export function formatIssues(issues: SchemaIssue[], max = 5): string {
  const shown = issues.slice(0, max).map((i) => `data${i.path} ${i.message}`);
  if (issues.length > max) shown.push(`… ${issues.length - max} more`);
  return shown.join('; ');
}
