/** Unit tests: memory owner ids (a user within a key's namespace) and the legacy namespace. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssayError } from '../errors.js';
import { checkOwner, describeOwner, LEGACY_NAMESPACE, ownerId, ownerPath, splitOwner } from './owner.js';

test('an owner id round-trips; the legacy namespace is the bare user id', () => {
  const id = ownerId('key_1', 'team/alice@example.com');
  assert.notEqual(id, ownerId('key_2', 'team/alice@example.com'));
  assert.deepEqual(splitOwner(id), { namespace: 'key_1', user: 'team/alice@example.com' });
  assert.equal(ownerId(LEGACY_NAMESPACE, 'bob'), 'bob');
  assert.deepEqual(splitOwner('bob'), { namespace: '', user: 'bob' });
  assert.equal(describeOwner(id), 'user "team/alice@example.com" (namespace key_1)');
  assert.equal(ownerPath(id, '/reembed'), '/api/memory/team%2Falice%40example.com/reembed?namespace=key_1');
  assert.equal(ownerPath('bob'), '/api/memory/bob');
});

test('bad users and namespaces are 400s; the user part keeps its own length limit', () => {
  const bad = (fn: () => unknown, code: string) => assert.throws(fn, (e: unknown) => e instanceof AssayError && e.status === 400 && e.code === code);
  bad(() => ownerId('key_1', ''), 'invalid_user');
  bad(() => ownerId('key_1', 'a\u001fb'), 'invalid_user');
  bad(() => ownerId('has space', 'u'), 'invalid_namespace');
  bad(() => ownerId('x'.repeat(65), 'u'), 'invalid_namespace');
  const long = 'u'.repeat(256);
  assert.equal(checkOwner(ownerId('ns', long)), `ns\u001f${long}`);
  bad(() => checkOwner(`ns\u001f${long}u`), 'invalid_user');
});
