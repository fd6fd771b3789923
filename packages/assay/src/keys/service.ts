/**
 * API keys: created with a random secret shown once, stored as sha256 hashes, cached in memory so
 * authenticating a request never touches the database (a miss is looked up once, then cached;
 * the cache is refreshed periodically so revocations on another instance take effect).
 */
import { createHash, randomBytes } from 'node:crypto';
import { badRequest, forbidden, notFound, unauthorized } from '../errors.js';
import type { ApiKeyRecord, KeysRepo } from '../store/keys.js';
import type { KeyPolicy } from './policy.js';

export const SCOPES = ['admin', 'model', 'read', 'ingest', 'feedback'] as const;
export type Scope = (typeof SCOPES)[number];
export const SCOPE_HELP: Record<Scope, string> = {
  admin: 'everything, including key management',
  model: 'call models through /v1',
  read: 'read traces and metrics through /api',
  ingest: 'send traces (OTLP, Langfuse-compatible ingestion)',
  feedback: 'post end-user feedback to /api/public/feedback only (write-only; safe to embed in a browser)',
};

export const KEY_PREFIX = 'sk-assay-';

export const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

export interface CreatedKey {
  key: string;
  record: ApiKeyRecord;
}

export type PublicKey = Omit<ApiKeyRecord, 'hash'>;
export const publicKey = ({ hash: _hash, ...rest }: ApiKeyRecord): PublicKey => rest;

/** ASSAY_ADMIN_KEY must be at least this long; the key it registers carries this name. */
export const ADMIN_KEY_MIN_LENGTH = 20;
const ENV_ADMIN_NAME = 'admin (ASSAY_ADMIN_KEY)';

const NEGATIVE_CACHE_MAX = 10_000;
const NEGATIVE_TTL_MS = 30_000;

export class KeyService {
  private readonly byHash = new Map<string, ApiKeyRecord>();
  private readonly unknown = new Map<string, number>();
  private refreshTimer: NodeJS.Timeout | null = null;

  constructor(private readonly repo: KeysRepo) {}

  /** Load active keys into memory and refresh them every `refreshMs`. */
  async start(refreshMs = 30_000): Promise<void> {
    await this.reload();
    this.refreshTimer = setInterval(() => void this.reload().catch(() => undefined), refreshMs);
    this.refreshTimer.unref();
  }

  stop(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
  }

  async reload(): Promise<void> {
    const keys = await this.repo.list();
    this.byHash.clear();
    for (const k of keys) this.byHash.set(k.hash, k);
    this.unknown.clear();
  }

  /** An active (not revoked) key by id, from memory; revocations elsewhere arrive with the refresh. */
  active(id: string): ApiKeyRecord | null {
    for (const k of this.byHash.values()) if (k.id === id) return k;
    return null;
  }

  /** The key record for a bearer token, or null. Memory only, except a first-seen token (one lookup). */
  async authenticate(token: string): Promise<ApiKeyRecord | null> {
    const hash = hashKey(token);
    const hit = this.byHash.get(hash);
    if (hit) return hit;
    const missAt = this.unknown.get(hash);
    if (missAt !== undefined && Date.now() - missAt < NEGATIVE_TTL_MS) return null;
    const rec = await this.repo.getByHash(hash);
    if (rec && rec.revoked_at === null) {
      this.byHash.set(hash, rec);
      return rec;
    }
    if (this.unknown.size >= NEGATIVE_CACHE_MAX) this.unknown.clear();
    this.unknown.set(hash, Date.now());
    return null;
  }

  async create(input: { name: string; scopes?: string[]; models?: string[] | null; policy?: KeyPolicy | null; key?: string }): Promise<CreatedKey> {
    const name = input.name?.trim();
    if (!name) throw badRequest('name is required: give the key a name that says who uses it', 'name');
    const scopes = input.scopes?.length ? [...new Set(input.scopes)] : ['model'];
    for (const s of scopes) {
      if (!(SCOPES as readonly string[]).includes(s)) {
        throw badRequest(`unknown scope "${s}"; scopes are: ${SCOPES.map((x) => `${x} (${SCOPE_HELP[x]})`).join(', ')}`, 'scopes');
      }
    }
    const key = input.key ?? KEY_PREFIX + randomBytes(24).toString('base64url');
    const record: ApiKeyRecord = {
      id: `key_${randomBytes(8).toString('hex')}`,
      project_id: 'default',
      name,
      prefix: key.slice(0, KEY_PREFIX.length + 4),
      hash: hashKey(key),
      scopes,
      models: input.models?.length ? input.models : null,
      policy: input.policy && Object.keys(input.policy).length ? input.policy : null,
      created_at: Date.now(),
      revoked_at: null,
    };
    await this.repo.insert(record);
    this.byHash.set(record.hash, record);
    this.unknown.delete(record.hash);
    return { key, record };
  }

  /**
   * Changes an active key's name, model list or policy; the cached record is replaced at once here
   * (other instances see it with the next refresh).
   */
  async update(id: string, patch: { name?: string; models?: string[] | null; policy?: KeyPolicy | null }): Promise<ApiKeyRecord> {
    const existing = await this.repo.get(id);
    if (!existing) throw notFound(`no key with id ${id}`, 'key_not_found');
    if (existing.revoked_at !== null) throw badRequest(`key ${id} is revoked; create a new key instead`, 'id', 'already_revoked');
    const updated = await this.repo.update(id, {
      name: patch.name?.trim() || undefined,
      models: patch.models === undefined ? undefined : patch.models?.length ? patch.models : null,
      policy: patch.policy === undefined ? undefined : patch.policy && Object.keys(patch.policy).length ? patch.policy : null,
    });
    if (!updated) throw notFound(`no key with id ${id}`, 'key_not_found');
    this.byHash.set(updated.hash, updated);
    return updated;
  }

  list(includeRevoked = false): Promise<ApiKeyRecord[]> {
    return this.repo.list({ includeRevoked });
  }

  async revoke(id: string): Promise<void> {
    const ok = await this.repo.revoke(id, Date.now());
    if (!ok) {
      const existing = await this.repo.get(id);
      throw existing ? badRequest(`key ${id} is already revoked`, 'id', 'already_revoked') : notFound(`no key with id ${id}`, 'key_not_found');
    }
    for (const [hash, rec] of this.byHash) if (rec.id === id) this.byHash.delete(hash);
  }

  /**
   * Make sure an admin key exists: ASSAY_ADMIN_KEY is registered if given (at least
   * ADMIN_KEY_MIN_LENGTH characters), and the key an earlier value registered is revoked; otherwise,
   * when no admin key exists yet, one is generated and returned (to be printed once).
   */
  async bootstrapAdmin(envKey: string | undefined): Promise<string | null> {
    if (envKey) {
      await this.registerEnvAdmin(envKey);
      return null;
    }
    const keys = await this.repo.list();
    if (keys.some((k) => k.scopes.includes('admin'))) return null;
    return (await this.create({ name: 'admin (generated at first start)', scopes: ['admin'] })).key;
  }

  private async registerEnvAdmin(envKey: string): Promise<void> {
    if (envKey.length < ADMIN_KEY_MIN_LENGTH) {
      throw new Error(
        `ASSAY_ADMIN_KEY is ${envKey.length} characters long; it must have at least ${ADMIN_KEY_MIN_LENGTH} (e.g. ${KEY_PREFIX} followed by 32 random characters: openssl rand -hex 16)`,
      );
    }
    const hash = hashKey(envKey);
    const existing = await this.repo.getByHash(hash);
    if (existing?.revoked_at) throw new Error(`ASSAY_ADMIN_KEY was revoked (key ${existing.id}); choose a new value`);
    if (!existing) await this.create({ name: ENV_ADMIN_NAME, scopes: ['admin'], key: envKey });
    for (const old of await this.repo.list()) {
      if (old.name === ENV_ADMIN_NAME && old.hash !== hash) await this.revoke(old.id);
    }
  }
}

export function hasScope(key: ApiKeyRecord, scope: Scope): boolean {
  return key.scopes.includes('admin') || key.scopes.includes(scope);
}

export function requireScope(key: ApiKeyRecord | null, scope: Scope): ApiKeyRecord {
  if (!key) throw unauthorized('Missing or invalid API key: send "Authorization: Bearer <Assay key>"');
  if (!hasScope(key, scope)) throw forbidden(`This key lacks the "${scope}" scope (${SCOPE_HELP[scope]}); its scopes: ${key.scopes.join(', ')}`);
  return key;
}
