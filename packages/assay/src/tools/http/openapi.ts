/**
 * OpenAPI 3.0 / 3.1 import: each operation (get, post, put, patch, delete) becomes an HTTP tool
 * config named `<prefix>_<operationId>` (or `<prefix>_<method>_<path>`). Path, query and header
 * parameters become argument properties (path ones required), a JSON request body becomes the
 * `body` argument, local `$ref`s are inlined. Invalid documents fail with every problem and where
 * it is; operations that cannot be called as JSON tools (a required non-JSON body) are skipped
 * unless `operations` names them.
 */
import { TOOL_NAME } from '../types.js';
import { isObject, Problems, RefResolver } from './openapi-refs.js';
import { formatIssues, httpToolSchema, type HttpToolConfig, type OpenApiSource } from './schema.js';
import { escapeTemplate, placeholders } from './template.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
/** Per the spec these header parameters are ignored (the client sets them). */
const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);
const MAX_DESCRIPTION = 1000;

export class OpenApiError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`OpenAPI source "${source}": ${problems.length === 1 ? problems[0] : `\n${problems.map((p) => `  - ${p}`).join('\n')}`}`);
    this.name = 'OpenApiError';
  }
}

/** A tool-name-safe version of `s`. */
export function sanitizeName(s: string): string {
  return s.replace(/[^a-zA-Z0-9_-]+/g, '_').replace(/_+/g, '_').replace(/^_|_$/g, '');
}

type SourceInput = Pick<OpenApiSource, 'name'> & Partial<Omit<OpenApiSource, 'name' | 'spec'>>;

function baseUrl(doc: Record<string, unknown>, servers: unknown, source: SourceInput, problems: Problems, where: string): string | null {
  if (source.base_url) return source.base_url.replace(/\/+$/, '');
  const list = Array.isArray(servers) && servers.length ? servers : doc.servers;
  const first = Array.isArray(list) ? list[0] : undefined;
  if (!isObject(first) || typeof first.url !== 'string') {
    problems.add(where, 'the document has no servers[0].url; set base_url on the openapi source');
    return null;
  }
  const vars = isObject(first.variables) ? first.variables : {};
  const url = first.url.replace(/\{([^{}]+)\}/g, (whole, name: string) => {
    const v = vars[name];
    return isObject(v) && v.default !== undefined ? String(v.default) : whole;
  });
  if (!/^https?:\/\//i.test(url)) {
    problems.add(where, `servers[0].url "${first.url}" is not an absolute http(s) URL; set base_url on the openapi source`);
    return null;
  }
  if (/[{}]/.test(url)) {
    problems.add(where, `servers[0].url "${first.url}" has a variable without a default; set base_url`);
    return null;
  }
  return url.replace(/\/+$/, '');
}

/** The schema of a JSON request body and whether it is required, or a reason it cannot be sent. */
function jsonBody(body: Record<string, unknown>, refs: RefResolver, where: string): { schema: Record<string, unknown>; required: boolean } | string {
  const content = isObject(body.content) ? body.content : {};
  const type = Object.keys(content).find((t) => /^application\/(.+\+)?json\b/i.test(t)) ?? Object.keys(content).find((t) => t === '*/*');
  if (!type) return `request body types ${Object.keys(content).join(', ') || '(none)'} are not JSON`;
  const media = content[type];
  const schema = isObject(media) ? refs.schema(media.schema ?? {}, `${where}.content.${type}.schema`) : {};
  return { schema, required: body.required === true };
}

/** Converts an OpenAPI document to HTTP tool configs (validated, defaults filled). */
export function importOpenApi(doc: unknown, source: SourceInput): HttpToolConfig[] {
  const problems = new Problems();
  const fail = () => new OpenApiError(source.name, problems.list);
  if (!isObject(doc)) throw new OpenApiError(source.name, ['the document is not an object (expected an OpenAPI 3 JSON or YAML document)']);
  if (typeof doc.swagger === 'string') throw new OpenApiError(source.name, [`swagger ${doc.swagger} (OpenAPI 2) is not supported; convert it to OpenAPI 3`]);
  if (typeof doc.openapi !== 'string' || !/^3\.[01](\.|$)/.test(doc.openapi)) {
    throw new OpenApiError(source.name, [`openapi: expected a version "3.0.x" or "3.1.x", got ${JSON.stringify(doc.openapi)}`]);
  }
  if (!isObject(doc.paths)) throw new OpenApiError(source.name, ['paths: missing (an object of "/path": { get: {...} })']);
  const refs = new RefResolver(doc, problems);
  const wanted = source.operations ? new Set(source.operations) : null;
  const found = new Set<string>();
  const raws: Record<string, unknown>[] = [];
  const names = new Set<string>();

  for (const [path, rawItem] of Object.entries(doc.paths)) {
    const itemWhere = `paths.${path}`;
    if (!path.startsWith('/')) problems.add(itemWhere, 'path keys must start with "/"');
    const item = refs.object(rawItem, itemWhere);
    if (!item) continue;
    for (const method of METHODS) {
      const op = item.value[method];
      if (op === undefined) continue;
      const where = `${itemWhere}.${method}`;
      if (!isObject(op)) {
        problems.add(where, 'an operation must be an object');
        continue;
      }
      const opId = typeof op.operationId === 'string' && op.operationId !== '' ? op.operationId : null;
      if (opId) found.add(opId);
      if (wanted && (!opId || !wanted.has(opId))) continue;
      const skip = (reason: string) => {
        if (wanted) problems.add(where, `operation "${opId}" cannot be imported: ${reason}`);
      };

      // Parameters: path-level ones, overridden by the operation's (same name and location).
      const params = new Map<string, { p: Record<string, unknown>; where: string }>();
      const lists: Array<[unknown, string]> = [[item.value.parameters, `${itemWhere}.parameters`], [op.parameters, `${where}.parameters`]];
      for (const [list, at] of lists) {
        if (list === undefined) continue;
        if (!Array.isArray(list)) {
          problems.add(at, 'must be a list');
          continue;
        }
        list.forEach((raw, i) => {
          const r = refs.object(raw, `${at}[${i}]`);
          if (!r) return;
          const p = r.value;
          if (typeof p.name !== 'string' || p.name === '') return problems.add(`${at}[${i}]`, 'a parameter needs a "name"');
          if (!['path', 'query', 'header', 'cookie'].includes(p.in as string)) {
            return problems.add(`${at}[${i}]`, `parameter "${p.name}": "in" must be path, query, header or cookie (got ${JSON.stringify(p.in)})`);
          }
          params.set(`${p.in}:${p.name}`, { p, where: `${at}[${i}]` });
        });
      }

      const properties: Record<string, unknown> = {};
      const required: string[] = [];
      const argFor = new Map<string, string>();
      const argName = (name: string, loc: string) => {
        let n = name.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 64) || loc;
        if (Object.hasOwn(properties, n)) n = `${n}_${loc}`;
        for (let i = 2; Object.hasOwn(properties, n); i++) n = `${n}_${i}`;
        return n;
      };
      const queryPairs: string[] = [];
      const headers: Record<string, string> = Object.fromEntries(Object.entries(source.headers ?? {}).map(([k, v]) => [k, escapeTemplate(v)]));
      let unsupported: string | null = null;
      for (const [key, { p, where: at }] of params) {
        const loc = p.in as string;
        const name = p.name as string;
        if (loc === 'cookie') {
          if (p.required === true) unsupported = `required cookie parameter "${name}"`;
          continue;
        }
        if (loc === 'header' && IGNORED_HEADERS.has(name.toLowerCase())) continue;
        let schema: Record<string, unknown> = {};
        if (p.schema !== undefined) schema = refs.schema(p.schema, `${at}.schema`);
        else if (isObject(p.content)) {
          const media = Object.values(p.content)[0];
          schema = isObject(media) ? refs.schema(media.schema ?? {}, `${at}.content`) : {};
        }
        const arg = argName(name, loc);
        argFor.set(key, arg);
        const description = typeof p.description === 'string' ? p.description : schema.description;
        properties[arg] = description === undefined ? schema : { ...schema, description };
        if (loc === 'path' || p.required === true) required.push(arg);
        if (loc === 'query') queryPairs.push(`${encodeURIComponent(name)}={${arg}}`);
        if (loc === 'header') headers[name] = `{${arg}}`;
      }

      let pathTemplate = path;
      for (const ph of placeholders(path)) {
        const arg = argFor.get(`path:${ph}`);
        if (!arg) problems.add(where, `path placeholder {${ph}} has no matching "in: path" parameter`);
        else pathTemplate = pathTemplate.split(`{${ph}}`).join(`{${arg}}`);
      }
      for (const key of argFor.keys()) {
        if (key.startsWith('path:') && !placeholders(path).includes(key.slice(5))) problems.add(where, `path parameter "${key.slice(5)}" does not appear in the path`);
      }

      let bodyArg: string | undefined;
      if (op.requestBody !== undefined) {
        const rb = refs.object(op.requestBody, `${where}.requestBody`);
        if (rb) {
          const body = jsonBody(rb.value, refs, rb.where);
          if (typeof body === 'string') {
            if (rb.value.required === true) unsupported = body;
          } else {
            bodyArg = argName('body', 'body');
            const description = typeof rb.value.description === 'string' ? rb.value.description : 'The JSON request body.';
            properties[bodyArg] = { ...body.schema, description: body.schema.description ?? description };
            if (body.required) required.push(bodyArg);
          }
        }
      }
      if (unsupported) {
        skip(unsupported);
        continue;
      }

      const base = baseUrl(doc, op.servers ?? item.value.servers, source, problems, where);
      if (!base) continue;
      const suffix = sanitizeName(opId ?? `${method}_${path}`) || method;
      let name = `${source.name}_${suffix}`.slice(0, 64);
      for (let i = 2; names.has(name); i++) name = `${`${source.name}_${suffix}`.slice(0, 60)}_${i}`;
      names.add(name);
      if (!TOOL_NAME.test(name)) problems.add(where, `tool name "${name}" is not a valid function name`);
      const text = [op.summary, op.description].filter((s): s is string => typeof s === 'string' && s.trim() !== '').join('\n\n');
      const description = text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION - 1)}…` : text || `${method.toUpperCase()} ${path}`;
      raws.push({
        name,
        description,
        method: method.toUpperCase(),
        url: `${base}${pathTemplate}${queryPairs.length ? `?${queryPairs.join('&')}` : ''}`,
        parameters: { type: 'object', properties, ...(required.length ? { required } : {}) },
        headers,
        ...(bodyArg ? { body: 'json', body_arg: bodyArg } : { body: 'none' }),
        ...pick(source),
        _where: where,
      });
    }
  }
  for (const id of wanted ?? []) {
    if (!found.has(id)) problems.add('operations', `no operation has operationId "${id}" (known: ${[...found].slice(0, 30).join(', ') || 'none'})`);
  }
  if (problems.list.length) throw fail();
  const configs: HttpToolConfig[] = [];
  for (const { _where, ...raw } of raws) {
    const r = httpToolSchema.safeParse(raw);
    if (r.success) configs.push(r.data);
    else for (const p of formatIssues(r.error)) problems.add(String(_where), p);
  }
  if (problems.list.length) throw fail();
  if (configs.length === 0) throw new OpenApiError(source.name, ['the document has no operations to import (get, post, put, patch or delete)']);
  return configs;
}

function pick(source: SourceInput): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['allow_hosts', 'allow_private', 'timeout_ms', 'max_response_bytes'] as const) {
    if (source[k] !== undefined) out[k] = source[k];
  }
  return out;
}
