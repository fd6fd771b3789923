/** The benchmark's databases: where they are, seeding the trace-list data set, counting, cleanup. */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import pg from 'pg';
import SQLite from 'better-sqlite3';
import { openStore, resolveStoreLocation } from '../../packages/assay/src/store/index.js';
import { emptyObservation, type Observation } from '../../packages/assay/src/tracing/span.js';

export interface BenchStore {
  kind: 'sqlite' | 'postgres';
  /** ASSAY_DATABASE_URL for the server: a file path or a postgres:// URL with ?schema=. */
  url: string;
}

export async function countObservations(store: BenchStore): Promise<number> {
  if (store.kind === 'sqlite') {
    const db = new SQLite(store.url, { readonly: true });
    try {
      return (db.prepare('select count(*) as n from observations').get() as { n: number }).n;
    } finally {
      db.close();
    }
  }
  return withSchema(store, async (client, schema) => (await client.query(`select count(*)::int as n from "${schema}".observations`)).rows[0].n as number);
}

/** A client on the database of a postgres:// URL with ?schema=, and that schema's name. */
async function withSchema<T>(store: BenchStore, fn: (client: pg.Client, schema: string) => Promise<T>): Promise<T> {
  const u = new URL(store.url);
  const schema = u.searchParams.get('schema')!;
  u.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  try {
    return await fn(client, schema);
  } finally {
    await client.end();
  }
}

export async function dropSchema(store: BenchStore): Promise<void> {
  if (store.kind === 'sqlite') {
    for (const suffix of ['', '-wal', '-shm']) rmSync(store.url + suffix, { force: true });
    return;
  }
  await withSchema(store, async (client, schema) => {
    await client.query(`drop schema if exists "${schema}" cascade`);
  });
}

const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4-5', 'gemini-2.5-flash', 'local/qwen'];

/** `rows` observations in traces of five (a root generation and four children) over the last 7 days. */
export async function seedObservations(store: BenchStore, rows: number): Promise<void> {
  const location = resolveStoreLocation(store.url, dirname(store.kind === 'sqlite' ? store.url : '.'));
  const s = await openStore(location);
  try {
    const now = Date.now();
    const span = 7 * 86_400_000;
    const traces = Math.ceil(rows / 5);
    let batch: Observation[] = [];
    for (let t = 0; t < traces; t++) {
      const start = now - Math.floor((span * (traces - t)) / traces);
      const model = MODELS[t % MODELS.length];
      const root = emptyObservation({
        trace_id: `seed-${t.toString(16).padStart(8, '0')}`,
        type: 'generation',
        name: 'chat.completions',
        start_time: start,
        model,
        user_id: `user-${t % 97}`,
        session_id: `s-${t % 5000}`,
        tags: t % 10 === 0 ? ['beta'] : [],
        status: t % 50 === 0 ? 'error' : 'ok',
        input_tokens: 400,
        output_tokens: 60,
        total_tokens: 460,
        cost: 0.0001,
        latency_ms: 800,
        input: { messages: [{ role: 'user', content: `question ${t} about the product manual, with some context` }] },
        output: { choices: [{ message: { role: 'assistant', content: 'an answer of a few sentences' } }] },
      });
      batch.push(root);
      for (let c = 0; c < 4; c++) {
        batch.push(emptyObservation({ trace_id: root.trace_id, parent_id: root.id, type: c === 1 ? 'retrieval' : 'span', name: `step ${c}`, start_time: start + c, latency_ms: 10 }));
      }
      if (batch.length >= 5_000) {
        await s.observations.insertMany(batch);
        batch = [];
      }
    }
    await s.observations.insertMany(batch);
  } finally {
    await s.close();
  }
}
