/**
 * Whose memories a call reads and writes: an end user *within a namespace*. A call's namespace is
 * its key's (keys/policy.ts `memory_namespace`, else the key id), so one key never reaches another
 * key's users. The owner is stored as one id, "<namespace>\u001f<user>" (the unit separator, which
 * user ids may not hold); ids without it are the legacy namespace "" of memories stored before
 * namespaces existed, which only the /api/memory API (naming no namespace) reaches.
 */
import { badRequest } from '../errors.js';
import { checkUserId } from './text.js';

export const OWNER_SEPARATOR = '\u001f';
export const LEGACY_NAMESPACE = '';
/** What a namespace may be (a key id or a policy's memory_namespace). */
export const NAMESPACE_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
export const NAMESPACE_HELP = 'a memory namespace is 1–64 letters, digits, "_", ".", ":" or "-"';

export interface MemoryOwner {
  namespace: string;
  user: string;
}

/** The stored owner id of `user` in `namespace` (checked: a precise 400 for a bad user id). */
export function ownerId(namespace: string, user: unknown): string {
  const u = checkUserId(user);
  if (u.includes(OWNER_SEPARATOR)) throw badRequest('the user id may not contain the control character U+001F', 'user', 'invalid_user');
  if (namespace !== LEGACY_NAMESPACE && !NAMESPACE_PATTERN.test(namespace)) throw badRequest(`namespace: ${NAMESPACE_HELP}`, 'namespace', 'invalid_namespace');
  return namespace === LEGACY_NAMESPACE ? u : `${namespace}${OWNER_SEPARATOR}${u}`;
}

/** A stored owner id as the service gets it (the user part checked like a user id). */
export function checkOwner(owner: unknown): string {
  if (typeof owner !== 'string') return checkUserId(owner);
  checkUserId(splitOwner(owner).user);
  return owner;
}

/** The namespace and user of a stored owner id. */
export function splitOwner(owner: string): MemoryOwner {
  const i = owner.indexOf(OWNER_SEPARATOR);
  return i < 0 ? { namespace: LEGACY_NAMESPACE, user: owner } : { namespace: owner.slice(0, i), user: owner.slice(i + 1) };
}

/** "user \"u\" (namespace key_1)": how messages name an owner. */
export function describeOwner(owner: string): string {
  const { namespace, user } = splitOwner(owner);
  return `user ${JSON.stringify(user)}${namespace ? ` (namespace ${namespace})` : ''}`;
}

/** The /api/memory path of an owner (with ?namespace= when it has one), for messages. */
export function ownerPath(owner: string, suffix = ''): string {
  const { namespace, user } = splitOwner(owner);
  return `/api/memory/${encodeURIComponent(user)}${suffix}${namespace ? `?namespace=${encodeURIComponent(namespace)}` : ''}`;
}
