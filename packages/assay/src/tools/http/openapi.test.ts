/**
 * OpenAPI import: a petstore-like 3.0 document ($ref components, path/query/header parameters,
 * a request body, a recursive schema, nullable) and a 3.1 document become the expected tools; one
 * imported tool is called against a local server; invalid documents fail with precise problems.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { emptyObservation, Span } from '../../tracing/span.js';
import { buildHttpTools, httpFamily, httpToolsListSchema, importOpenApi, openApiTools, OpenApiError } from './index.js';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ method: req.method, url: req.url, rid: req.headers['x-request-id'] ?? null, token: req.headers.authorization ?? null, body: Buffer.concat(chunks).toString() }));
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const dir = mkdtempSync(join(tmpdir(), 'assay-openapi-'));
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const petstore = {
  openapi: '3.0.3',
  info: { title: 'Petstore', version: '1' },
  servers: [{ url: 'https://{region}.petstore.example/v1', variables: { region: { default: 'eu' } } }],
  paths: {
    '/pets': {
      get: {
        operationId: 'listPets',
        summary: 'List pets',
        parameters: [{ $ref: '#/components/parameters/Limit' }, { name: 'tags[]', in: 'query', schema: { type: 'array', items: { type: 'string' } } }],
        responses: { 200: { description: 'ok' } },
      },
      post: {
        operationId: 'createPet',
        summary: 'Create a pet',
        description: 'Adds a pet to the store.',
        parameters: [{ name: 'X-Request-Id', in: 'header', required: true, schema: { type: 'string' } }, { name: 'Accept', in: 'header', schema: { type: 'string' } }],
        requestBody: { $ref: '#/components/requestBodies/NewPet' },
        responses: { 201: { description: 'created' } },
      },
    },
    '/pets/{petId}': {
      parameters: [{ name: 'petId', in: 'path', required: true, description: 'The pet id', schema: { type: 'integer', format: 'int64' } }],
      get: { operationId: 'get-pet.by id', responses: { 200: { description: 'ok' } } },
      delete: { summary: 'Delete a pet', responses: { 204: { description: 'gone' } } },
    },
  },
  components: {
    parameters: { Limit: { name: 'limit', in: 'query', description: 'Max items', schema: { type: 'integer', maximum: 100, example: 10 } } },
    requestBodies: { NewPet: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } } } },
    schemas: {
      Pet: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string' },
          tag: { type: 'string', nullable: true },
          category: { $ref: '#/components/schemas/Category' },
          parent: { $ref: '#/components/schemas/Pet' },
          example: { type: 'string', description: 'a property named like a keyword' },
        },
        discriminator: { propertyName: 'name' },
        'x-internal': true,
      },
      Category: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } },
    },
  },
};

test('OpenAPI 3.0: tool names, parameter schemas, $refs, body and headers', () => {
  const tools = importOpenApi(petstore, { name: 'petstore' });
  assert.deepEqual(tools.map((t) => [t.name, t.method, t.url]), [
    ['petstore_listPets', 'GET', 'https://eu.petstore.example/v1/pets?limit={limit}&tags%5B%5D={tags_}'],
    ['petstore_createPet', 'POST', 'https://eu.petstore.example/v1/pets'],
    ['petstore_get-pet_by_id', 'GET', 'https://eu.petstore.example/v1/pets/{petId}'],
    ['petstore_delete_pets_petId', 'DELETE', 'https://eu.petstore.example/v1/pets/{petId}'],
  ]);
  const [list, create, get, del] = tools;
  assert.deepEqual(list.parameters, {
    type: 'object',
    properties: { limit: { type: 'integer', maximum: 100, description: 'Max items' }, tags_: { type: 'array', items: { type: 'string' } } },
  });
  assert.equal(list.description, 'List pets');
  assert.deepEqual(list.allow_hosts, ['eu.petstore.example']);
  assert.equal(create.description, 'Create a pet\n\nAdds a pet to the store.');
  assert.deepEqual(create.headers, { 'X-Request-Id': '{X-Request-Id}' });
  assert.deepEqual([create.body, create.body_arg], ['json', 'body']);
  assert.deepEqual(create.parameters.required, ['X-Request-Id', 'body']);
  const body = create.parameters.properties!.body as Record<string, any>;
  assert.deepEqual(body.properties.tag, { type: ['string', 'null'] });
  assert.deepEqual(body.properties.category, { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } });
  assert.deepEqual(body.properties.parent, { description: 'recursive reference to Pet; not expanded' });
  assert.deepEqual(body.properties.example, { type: 'string', description: 'a property named like a keyword' });
  assert.equal(body.discriminator, undefined);
  assert.equal(body['x-internal'], undefined);
  assert.equal(body.description, 'The JSON request body.');
  assert.deepEqual(get.parameters, { type: 'object', properties: { petId: { type: 'integer', format: 'int64', description: 'The pet id' } }, required: ['petId'] });
  assert.equal(del.description, 'Delete a pet');
  assert.deepEqual(importOpenApi(petstore, { name: 'p', operations: ['listPets'] }).map((t) => t.name), ['p_listPets']);
});

const v31 = {
  openapi: '3.1.0',
  info: { title: 'Notes', version: '2' },
  servers: [{ url: 'https://notes.example.com' }],
  webhooks: { newNote: { post: { requestBody: { content: { 'application/json': { schema: { type: 'object' } } } } } } },
  paths: {
    '/notes/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      patch: {
        operationId: 'updateNote',
        description: 'Update a note',
        parameters: [{ name: 'dry_run', in: 'query', schema: { type: ['boolean', 'null'] } }],
        requestBody: { content: { 'application/merge-patch+json': { schema: { $ref: '#/components/schemas/Note', description: 'Fields to change' } } } },
      },
    },
    '/upload': { post: { operationId: 'upload', requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object' } } } } } },
  },
  components: { schemas: { Note: { type: 'object', properties: { text: { type: 'string' }, pinned: { const: true } } } } },
};

test('OpenAPI 3.1: type arrays, $ref siblings, a merge-patch JSON body; non-JSON required bodies are skipped', () => {
  const tools = importOpenApi(v31, { name: 'notes', timeout_ms: 2000, headers: { Authorization: 'Bearer t0k' } });
  assert.deepEqual(tools.map((t) => t.name), ['notes_updateNote']);
  const [t] = tools;
  assert.equal(t.url, 'https://notes.example.com/notes/{id}?dry_run={dry_run}');
  assert.deepEqual(t.parameters, {
    type: 'object',
    properties: {
      id: { type: 'string' },
      dry_run: { type: ['boolean', 'null'] },
      body: { type: 'object', properties: { text: { type: 'string' }, pinned: { const: true } }, description: 'Fields to change' },
    },
    required: ['id'],
  });
  assert.deepEqual([t.timeout_ms, t.headers], [2000, { Authorization: 'Bearer t0k' }]);
  assert.deepEqual(importOpenApi(v31, { name: 'n', headers: { 'x-j': '{"a":1}' } })[0].headers, { 'x-j': '{{"a":1}}' }, 'source headers are static');
  assert.throws(() => importOpenApi(v31, { name: 'notes', operations: ['upload'] }), /paths\.\/upload\.post: operation "upload" cannot be imported: request body types multipart\/form-data are not JSON/);
});

test('an imported tool (from a YAML file) calls the API: path, query, header and JSON body', async () => {
  const file = join(dir, 'petstore.yaml');
  writeFileSync(file, stringify(petstore));
  const tools = openApiTools({ name: 'pets', spec: 'petstore.yaml', base_url: `${base}/v1/`, allow_private: true, headers: { Authorization: 'Bearer {static}' } }, { baseDir: dir });
  const create = tools.find((t) => t.name === 'pets_createPet')!;
  const ctx = { signal: new AbortController().signal, traceId: 't', userId: null, span: new Span({ record() {} }, emptyObservation({ trace_id: 't', type: 'tool', name: 'x' })) };
  const r = await create.run({ 'X-Request-Id': 'r-1', body: { name: 'Rex', tag: null } }, ctx);
  assert.equal(r.isError, undefined, r.content);
  const got = JSON.parse(r.content);
  assert.deepEqual(got, { method: 'POST', url: '/v1/pets', rid: 'r-1', token: 'Bearer {static}', body: '{"name":"Rex","tag":null}' });
  const list = tools.find((t) => t.name === 'pets_listPets')!;
  assert.equal(JSON.parse((await list.run({ limit: 2, 'tags_': ['a b', 'c'] }, ctx)).content).url, '/v1/pets?limit=2&tags%5B%5D=a%20b&tags%5B%5D=c');
  const get = tools.find((t) => t.name === 'pets_get-pet_by_id')!;
  assert.equal(JSON.parse((await get.run({ petId: 42 }, ctx)).content).url, '/v1/pets/42');
  const missing = await create.run({}, ctx);
  assert.match(missing.content, /missing required arguments "X-Request-Id", "body"/);
});

test('invalid documents fail with what is missing where', () => {
  const problems = (doc: unknown, source: Record<string, unknown> = {}) => {
    try {
      importOpenApi(doc, { name: 'x', ...source });
    } catch (err) {
      assert.ok(err instanceof OpenApiError);
      return err.problems;
    }
    assert.fail('expected an OpenApiError');
  };
  assert.deepEqual(problems({ swagger: '2.0' }), ['swagger 2.0 (OpenAPI 2) is not supported; convert it to OpenAPI 3']);
  assert.deepEqual(problems({ openapi: '4.0' }), ['openapi: expected a version "3.0.x" or "3.1.x", got "4.0"']);
  assert.deepEqual(problems({ openapi: '3.0.0' }), ['paths: missing (an object of "/path": { get: {...} })']);
  const doc = (paths: unknown, extra: object = {}) => ({ openapi: '3.0.0', servers: [{ url: 'https://a.example' }], paths, ...extra });
  assert.deepEqual(problems(doc({ '/a/{id}': { get: { operationId: 'a' } } })), ['paths./a/{id}.get: path placeholder {id} has no matching "in: path" parameter']);
  assert.deepEqual(problems(doc({ '/a': { get: { parameters: [{ $ref: '#/components/parameters/Nope' }] } } })), ['paths./a.get.parameters[0]: $ref "#/components/parameters/Nope" does not exist in the document']);
  assert.deepEqual(problems(doc({ '/a': { get: { parameters: [{ name: 'q', in: 'body' }] } } })), ['paths./a.get.parameters[0]: parameter "q": "in" must be path, query, header or cookie (got "body")']);
  assert.deepEqual(problems(doc({ '/a': { post: { requestBody: { content: { 'application/json': { schema: { $ref: 'other.yaml#/Pet' } } } } } } })), [
    'paths./a.post.requestBody.content.application/json.schema: external $ref "other.yaml#/Pet" is not supported (only #/components/... references)',
  ]);
  assert.deepEqual(problems(doc({ '/a': { get: { operationId: 'a' } } }, { servers: [{ url: '/v1' }] })), [
    'paths./a.get: servers[0].url "/v1" is not an absolute http(s) URL; set base_url on the openapi source',
  ]);
  assert.deepEqual(problems(doc({ '/a': { get: { operationId: 'a' } } }), { operations: ['b'] }), ['operations: no operation has operationId "b" (known: a)']);
  assert.deepEqual(problems(doc({})), ['the document has no operations to import (get, post, put, patch or delete)']);
  assert.throws(() => openApiTools({ name: 'bad name', spec: {} }), /name must be 1-40 letters/);
  assert.throws(() => openApiTools({ name: 'f', spec: join(dir, 'nope.yaml') }), /spec: cannot read .*nope\.yaml/);
});

test('the http family resolves { http: { name } } and { http: { openapi } } specs', async () => {
  const set = buildHttpTools({
    http_tools: [{ name: 'weather', description: 'Weather', url: 'https://api.weather.example/v1/{city}', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
    openapi: [{ name: 'petstore', spec: petstore }],
  });
  const resolve = httpFamily(set);
  const env = {} as Parameters<typeof resolve>[1];
  assert.deepEqual((await resolve({ kind: 'http', http: { name: 'weather' } }, env)).tools.map((t) => t.name), ['weather']);
  assert.equal((await resolve({ kind: 'http', http: { openapi: 'petstore' } }, env)).tools.length, 4);
  await assert.rejects(resolve({ kind: 'http', http: { name: 'nope' } }, env), (err: { status?: number; message: string }) => err.status === 400 && /unknown http tool "nope" \(configured: weather\)/.test(err.message));
  await assert.rejects(resolve({ kind: 'http', http: { openapi: 'nope' } }, env), /unknown openapi source "nope" \(configured: petstore\)/);
  const dup = httpToolsListSchema.safeParse([{ name: 'a', description: 'd', url: 'https://x.example/' }, { name: 'a', description: 'd', url: 'https://y.example/' }]);
  assert.deepEqual(dup.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`), ['1.name: duplicate http tool name "a"']);
});
