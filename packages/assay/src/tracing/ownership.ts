/**
 * Who may change a stored row at ingest. A key without the admin scope creates rows and updates the
 * rows it wrote itself; a row the gateway wrote for a /v1 call, a row another key wrote, and a human
 * judgement (annotation, end-user feedback) are not its to change. Refused records fail alone: the
 * rest of the batch is written.
 */
import type { Score, ScoresRepo } from '../store/scores.js';
import type { Observation } from './span.js';

/** The key writing: its project, its id, and whether it is an admin key (which may correct any row). */
export interface Writer {
  projectId: string;
  keyId: string;
  admin?: boolean;
}

/** Score sources that are people's judgements: only an admin key may replace them. */
const HUMAN_SOURCES = new Set(['annotation', 'end-user', 'feedback']);

/** Why `writer` may not change this stored observation, or null when it may. */
export function observationRefusal(row: Pick<Observation, 'id' | 'trace_id' | 'key_id' | 'origin'>, writer: Writer): string | null {
  if (writer.admin) return null;
  const what = `observation ${row.id} of trace ${row.trace_id}`;
  if (row.origin === 'gateway') return `${what} was written by the gateway; an ingest key cannot change it (use new ids for your own spans)`;
  if (row.key_id !== writer.keyId) return `${what} was written by another key; a key can only change the rows it wrote`;
  return null;
}

/** Why `writer` may not replace this stored score, or null when it may. */
export function scoreRefusal(stored: Pick<Score, 'id' | 'source' | 'author'>, writer: Writer): string | null {
  if (writer.admin) return null;
  if (HUMAN_SOURCES.has(stored.source)) return `score ${stored.id} is a human judgement (${stored.source}); only an admin key can replace it`;
  if (stored.author !== writer.keyId) return `score ${stored.id} was written by another key; a key can only replace the scores it wrote`;
  return null;
}

/** The stored rows among `rows` that `writer` may not change, by `${trace_id} ${id}`, with the reason. */
export async function foreignObservations(
  stored: (projectId: string, refs: readonly { trace_id: string; id: string }[]) => Promise<Pick<Observation, 'trace_id' | 'id' | 'key_id' | 'origin'>[]>,
  writer: Writer,
  rows: readonly Pick<Observation, 'trace_id' | 'id'>[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (writer.admin || rows.length === 0) return out;
  for (const row of await stored(writer.projectId, rows.map(({ trace_id, id }) => ({ trace_id, id })))) {
    const why = observationRefusal(row, writer);
    if (why) out.set(rowKey(row), why);
  }
  return out;
}

export const rowKey = (r: Pick<Observation, 'trace_id' | 'id'>): string => `${r.trace_id} ${r.id}`;

/** The scores among `scores` whose id is already taken by a score `writer` may not replace, with the reason. */
export async function foreignScores(repo: Pick<ScoresRepo, 'getMany'>, writer: Writer, scores: readonly Pick<Score, 'id'>[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (writer.admin || scores.length === 0) return out;
  for (const s of await repo.getMany(writer.projectId, scores.map((x) => x.id))) {
    const why = scoreRefusal(s, writer);
    if (why) out.set(s.id, why);
  }
  return out;
}
