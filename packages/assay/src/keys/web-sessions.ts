/**
 * Dashboard sessions: signing in with a key (admin or read scope) creates an opaque random token,
 * sent back as an HttpOnly cookie and stored only as its hash. A session lasts `ttlMs` and ends
 * early on sign-out or when its key is revoked. Lookups are cached briefly, so a request does not
 * touch the database (a sign-out on another instance takes effect within the cache time).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyRecord } from '../store/keys.js';
import type { WebSessionsRepo } from '../store/web-sessions.js';
import type { KeyService } from './service.js';

const CACHE_MS = 30_000;
const CACHE_MAX = 10_000;

const hashToken = (t: string) => createHash('sha256').update(t).digest('hex');

export class WebSessions {
  private readonly cache = new Map<string, { keyId: string | null; expiresAt: number; cachedAt: number }>();

  constructor(
    private readonly repo: WebSessionsRepo,
    private readonly keys: KeyService,
    readonly ttlMs = 7 * 86_400_000,
  ) {}

  async create(key: ApiKeyRecord): Promise<{ token: string; expiresAt: number }> {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    const expiresAt = now + this.ttlMs;
    await this.repo.insert({ token_hash: hashToken(token), key_id: key.id, created_at: now, expires_at: expiresAt });
    void this.repo.deleteExpired(now).catch(() => undefined);
    return { token, expiresAt };
  }

  /** The key behind a session token, or null (unknown, expired, signed out, key revoked). */
  async authenticate(token: string): Promise<ApiKeyRecord | null> {
    const h = hashToken(token);
    const now = Date.now();
    let entry = this.cache.get(h);
    if (!entry || now - entry.cachedAt > CACHE_MS) {
      const row = await this.repo.get(h);
      entry = { keyId: row?.key_id ?? null, expiresAt: row?.expires_at ?? 0, cachedAt: now };
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(h, entry);
    }
    if (!entry.keyId || entry.expiresAt <= now) return null;
    return this.keys.active(entry.keyId);
  }

  async end(token: string): Promise<void> {
    const h = hashToken(token);
    this.cache.delete(h);
    await this.repo.delete(h);
  }
}
