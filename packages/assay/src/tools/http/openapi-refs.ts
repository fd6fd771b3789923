/**
 * `$ref` resolution for the OpenAPI importer. Only local references (`#/components/...`) are
 * supported. Schemas are inlined so a tool's parameters are self-contained JSON Schema; a
 * reference met again inside its own expansion (a recursive schema) is cut to `{}` with a note,
 * and a size budget stops exponential expansion. OpenAPI-only keywords are dropped and 3.0's
 * `nullable: true` becomes a JSON Schema null type.
 */

/** Collects problems with the location they were found at. */
export class Problems {
  readonly list: string[] = [];
  add(where: string, message: string): void {
    this.list.push(where ? `${where}: ${message}` : message);
  }
}

const MAX_DEPTH = 40;
const MAX_NODES = 20_000;

/** Keywords whose value is one schema, a list of schemas, or a map of name → schema. */
const ONE = new Set(['items', 'additionalProperties', 'not', 'contains', 'if', 'then', 'else', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems', 'additionalItems', 'contentSchema']);
const MANY = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
const MAP = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
/** Not JSON Schema (or not useful to a model): dropped. */
const DROP = new Set(['xml', 'externalDocs', 'discriminator', 'example', 'nullable', '$schema', '$id']);

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class RefResolver {
  private nodes = 0;

  constructor(
    private readonly doc: Record<string, unknown>,
    readonly problems: Problems,
  ) {}

  /** The target of a local JSON pointer such as `#/components/schemas/Pet`, or undefined. */
  pointer(ref: string): unknown {
    if (ref === '#') return this.doc;
    let node: unknown = this.doc;
    for (const raw of ref.slice(2).split('/')) {
      let key: string;
      try {
        key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      } catch {
        return undefined;
      }
      if (Array.isArray(node) && /^\d+$/.test(key)) node = node[Number(key)];
      else if (isObject(node) && Object.hasOwn(node, key)) node = node[key];
      else return undefined;
    }
    return node;
  }

  /**
   * Follows `$ref` chains of a non-schema object (parameter, request body, path item). Returns
   * the resolved object and where it came from, or null after reporting the problem.
   */
  object(node: unknown, where: string): { value: Record<string, unknown>; where: string } | null {
    const seen = new Set<string>();
    while (isObject(node) && typeof node.$ref === 'string') {
      const ref = node.$ref;
      if (!ref.startsWith('#')) {
        this.problems.add(where, `external $ref "${ref}" is not supported (only #/components/... references)`);
        return null;
      }
      if (seen.has(ref)) {
        this.problems.add(where, `$ref "${ref}" refers to itself`);
        return null;
      }
      seen.add(ref);
      const target = this.pointer(ref);
      if (target === undefined) {
        this.problems.add(where, `$ref "${ref}" does not exist in the document`);
        return null;
      }
      node = target;
      where = ref.slice(2).replace(/\//g, '.');
    }
    if (!isObject(node)) {
      this.problems.add(where, 'expected an object');
      return null;
    }
    return { value: node, where };
  }

  /** A schema with every local `$ref` inlined and OpenAPI-only keywords removed. */
  schema(node: unknown, where: string, stack: readonly string[] = []): Record<string, unknown> {
    if (!isObject(node)) {
      if (node !== undefined && typeof node !== 'boolean') this.problems.add(where, 'a schema must be an object');
      return {};
    }
    if (++this.nodes > MAX_NODES) {
      if (this.nodes === MAX_NODES + 1) this.problems.add(where, `schemas expand to more than ${MAX_NODES} nodes; limit the operations imported`);
      return {};
    }
    if (stack.length > MAX_DEPTH) return { description: 'nested too deeply; not expanded' };
    if (typeof node.$ref === 'string') {
      const ref = node.$ref;
      const { $ref: _ref, ...siblings } = node;
      if (!ref.startsWith('#')) {
        this.problems.add(where, `external $ref "${ref}" is not supported (only #/components/... references)`);
        return {};
      }
      if (stack.includes(ref)) return { description: `recursive reference to ${ref.split('/').pop()}; not expanded` };
      const target = this.pointer(ref);
      if (target === undefined) {
        this.problems.add(where, `$ref "${ref}" does not exist in the document`);
        return {};
      }
      const resolved = this.schema(target, ref.slice(2).replace(/\//g, '.'), [...stack, ref]);
      return Object.keys(siblings).length ? { ...resolved, ...this.schema(siblings, where, stack) } : resolved;
    }
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (DROP.has(key) || key.startsWith('x-')) continue;
      const at = `${where}.${key}`;
      if (ONE.has(key) && isObject(value)) out[key] = this.schema(value, at, stack);
      else if (key === 'items' && Array.isArray(value)) out[key] = value.map((v, i) => this.schema(v, `${at}[${i}]`, stack));
      else if (MANY.has(key) && Array.isArray(value)) out[key] = value.map((v, i) => this.schema(v, `${at}[${i}]`, stack));
      else if (MAP.has(key) && isObject(value)) {
        out[key] = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, this.schema(s, `${at}.${name}`, stack)]));
      } else out[key] = value;
    }
    return node.nullable === true ? nullable(out) : out;
  }
}

/** OpenAPI 3.0 `nullable: true` as JSON Schema. */
function nullable(s: Record<string, unknown>): Record<string, unknown> {
  if (typeof s.type === 'string') {
    const out: Record<string, unknown> = { ...s, type: [s.type, 'null'] };
    if (Array.isArray(s.enum) && !s.enum.includes(null)) out.enum = [...s.enum, null];
    return out;
  }
  if (Array.isArray(s.type)) return s.type.includes('null') ? s : { ...s, type: [...s.type, 'null'] };
  return { anyOf: [s, { type: 'null' }] };
}
