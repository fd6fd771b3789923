/**
 * Store locations for tests: a temporary SQLite file always, and a fresh PostgreSQL schema when
 * ASSAY_TEST_POSTGRES_URL is set (dropped afterwards). Tests loop over `testStores()`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { StoreLocation } from '../../src/store/index.js';

export interface TestStore {
  name: 'sqlite' | 'postgres';
  /** A value for ASSAY_DATABASE_URL. */
  url: string;
  location: StoreLocation;
  cleanup(): Promise<void>;
}

export const postgresUrl = process.env.ASSAY_TEST_POSTGRES_URL;
export const postgresSkip = postgresUrl ? false : 'ASSAY_TEST_POSTGRES_URL is not set (PostgreSQL store tests skipped)';

export function sqliteStore(): TestStore {
  const dir = mkdtempSync(join(tmpdir(), 'assay-test-'));
  const file = join(dir, 'assay.db');
  return {
    name: 'sqlite',
    url: file,
    location: { dialect: 'sqlite', target: file },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function postgresStore(): TestStore {
  if (!postgresUrl) throw new Error('ASSAY_TEST_POSTGRES_URL is not set');
  const schema = `assay_test_${randomBytes(6).toString('hex')}`;
  const u = new URL(postgresUrl);
  u.searchParams.set('schema', schema);
  return {
    name: 'postgres',
    url: u.toString(),
    location: { dialect: 'postgres', target: postgresUrl, schema },
    cleanup: async () => {
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: postgresUrl });
      await client.connect();
      try {
        await client.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Both dialects, each with its skip reason (undefined = runs). */
export const storeKinds: { name: 'sqlite' | 'postgres'; make: () => TestStore; skip: string | false }[] = [
  { name: 'sqlite', make: sqliteStore, skip: false },
  { name: 'postgres', make: postgresStore, skip: postgresSkip },
];
