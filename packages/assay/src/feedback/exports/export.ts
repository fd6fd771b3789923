/**
 * exportRows: records → validated JSONL lines of one format, with a provenance entry per line.
 * Pipeline per record: filters (queue, question, dates, minAgreement, minMargin) → row builder →
 * PII scrub (the tracing redactor, over every string of the row) → JSON Schema check → dedupe →
 * split. The split is `sha256(seed + "\n" + id)`: its first 4 bytes as a big-endian integer / 2^32,
 * below testFraction → test. It depends on nothing but the seed and the id, so adding records
 * never moves existing ones.
 */
import { createHash } from 'node:crypto';
import { AssayError } from '../../errors.js';
import { buildRow, isPreference, PREFERENCE_FORMATS, type BuildContext } from './formats.js';
import { RowError } from './messages.js';
import { validateRow } from './schemas.js';
import { EXPORT_FORMATS, type ExportFormat, type ExportOptions, type ExportRecord, type ExportResult, type ProvenanceEntry, type Split } from './types.js';

/** OpenAI's fine-tuning upload rule (warned about, not enforced). */
export const OPENAI_MIN_EXAMPLES = 10;

/** The split of one id under a seed. */
export function splitOf(id: string, seed: string, testFraction: number): Split {
  if (testFraction <= 0) return 'train';
  const h = createHash('sha256').update(`${seed}\n${id}`).digest();
  return h.readUInt32BE(0) / 2 ** 32 < testFraction ? 'test' : 'train';
}

function bad(message: string): AssayError {
  return new AssayError({ status: 400, code: 'invalid_export', message });
}

function checkOptions(format: ExportFormat, o: ExportOptions): void {
  if (!EXPORT_FORMATS.includes(format)) throw bad(`unknown export format '${String(format)}' (one of ${EXPORT_FORMATS.join(', ')})`);
  if (o.style !== undefined && o.style !== 'standard' && o.style !== 'conversational') throw bad(`style must be 'standard' or 'conversational'`);
  if (o.style === 'standard' && format.startsWith('openai-')) throw bad(`${format} has no standard (text) style`);
  const tf = o.testFraction ?? 0;
  if (typeof tf !== 'number' || !(tf >= 0 && tf <= 1)) throw bad('testFraction must be a number from 0 to 1');
  for (const k of ['minAgreement', 'minMargin', 'since', 'until'] as const) {
    if (o[k] !== undefined && (typeof o[k] !== 'number' || !Number.isFinite(o[k]))) throw bad(`${k} must be a finite number`);
  }
}

/** Why a record is left out by the filters, or null when it is kept. */
function filtered(r: ExportRecord, o: ExportOptions): string | null {
  const p = r.provenance ?? ({} as ExportRecord['provenance']);
  if (o.queue !== undefined && p.queue !== o.queue) return `not in queue ${o.queue}`;
  if (o.question !== undefined && p.question !== o.question) return `not for question ${o.question}`;
  if (o.since !== undefined && !(typeof p.created_at === 'number' && p.created_at >= o.since)) return 'created before since';
  if (o.until !== undefined && !(typeof p.created_at === 'number' && p.created_at < o.until)) return 'created at or after until';
  if (o.minAgreement !== undefined) {
    if (typeof p.agreement !== 'number') return 'agreement unknown (minAgreement is set)';
    if (p.agreement < o.minAgreement) return `agreement ${p.agreement} is below ${o.minAgreement}`;
  }
  if (o.minMargin !== undefined && isPreference(r)) {
    if (typeof r.margin !== 'number') return 'no margin (minMargin is set)';
    if (r.margin < o.minMargin) return `margin ${r.margin} is below ${o.minMargin}`;
  }
  return null;
}

/** Preferences are the same when prompt, chosen and rejected are: the row without its margin. */
function dedupeKey(row: Record<string, unknown>, line: string, preference: boolean): string {
  if (!preference || !('margin' in row)) return line;
  const { margin: _margin, ...rest } = row;
  return JSON.stringify(rest);
}

function sameAnswer(row: Record<string, unknown>): boolean {
  const pair = 'preferred_output' in row ? [row.preferred_output, row.non_preferred_output] : [row.chosen, row.rejected];
  return JSON.stringify(pair[0]) === JSON.stringify(pair[1]);
}

/** The sidecar entry of a row: fixed key order, unknown agreement and prompt written as null. */
function provenanceEntry(id: string, split: Split, r: ExportRecord): ProvenanceEntry {
  const p = r.provenance ?? ({ trace_ids: [], annotators: [] } as ExportRecord['provenance']);
  const e: ProvenanceEntry = { id, split, source: r.source, trace_ids: p.trace_ids ?? [], annotators: p.annotators ?? [] };
  if (p.observation_ids !== undefined) e.observation_ids = p.observation_ids;
  e.agreement = p.agreement ?? null;
  e.prompt_name = p.prompt_name ?? null;
  e.prompt_version = p.prompt_version ?? null;
  if (p.queue !== undefined) e.queue = p.queue;
  if (p.question !== undefined) e.question = p.question;
  if (p.created_at !== undefined) e.created_at = p.created_at;
  return e;
}

/** Writes the records in one format. Throws AssayError (400) on bad options; bad records are rejected, not thrown. */
export function exportRows(format: ExportFormat, records: readonly ExportRecord[], options: ExportOptions = {}): ExportResult {
  checkOptions(format, options);
  const style = format.startsWith('openai-') ? 'conversational' : (options.style ?? 'conversational');
  const ctx: BuildContext = { style, separator: options.separator ?? '' };
  const preference = PREFERENCE_FORMATS.has(format);
  const seed = options.seed ?? '';
  const testFraction = options.testFraction ?? 0;
  const result: ExportResult = {
    rows: [],
    provenance: [],
    rejected: [],
    skipped: [],
    stats: { input: records.length, written: 0, train: 0, test: 0, filtered: 0, duplicates: 0, rejected: 0, warnings: [] },
  };
  const seen = new Map<string, string>();
  for (const r of records) {
    const id = typeof r?.id === 'string' ? r.id : String(r?.id);
    const skip = filtered(r, options);
    if (skip) {
      result.skipped.push({ id, reason: skip });
      result.stats.filtered++;
      continue;
    }
    let row: Record<string, unknown>;
    try {
      if (isPreference(r) !== preference) {
        throw new RowError(preference ? `${format} needs a preference record (prompt, chosen, rejected)` : `${format} needs a completion record (prompt, completion)`);
      }
      row = buildRow(format, r, ctx);
      if (options.redact) row = options.redact.value(row) as Record<string, unknown>;
      if (preference && sameAnswer(row)) throw new RowError('chosen and rejected are identical');
      const invalid = validateRow(format, style, row);
      if (invalid) throw new RowError(invalid);
    } catch (err) {
      if (!(err instanceof RowError)) throw err;
      result.rejected.push({ id, reason: err.message });
      result.stats.rejected++;
      continue;
    }
    const line = JSON.stringify(row);
    if (options.dedupe !== false) {
      const key = dedupeKey(row, line, preference);
      const first = seen.get(key);
      if (first !== undefined) {
        result.skipped.push({ id, reason: `duplicate of ${first}` });
        result.stats.duplicates++;
        continue;
      }
      seen.set(key, id);
    }
    const split = splitOf(id, seed, testFraction);
    result.rows.push({ split, line });
    result.provenance.push(provenanceEntry(id, split, r));
    result.stats.written++;
    result.stats[split]++;
  }
  if (format === 'openai-sft' && result.stats.train < OPENAI_MIN_EXAMPLES) {
    result.stats.warnings.push(
      `OpenAI fine-tuning needs at least ${OPENAI_MIN_EXAMPLES} training examples; this export has ${result.stats.train} in the train split`,
    );
  }
  return result;
}

/** The files of an export: `train.jsonl`, `test.jsonl` and the provenance sidecar (one JSON line per row, same order). */
export function exportFiles(result: ExportResult): { train: string; test: string; provenance: string } {
  const join = (lines: string[]): string => lines.map((l) => `${l}\n`).join('');
  return {
    train: join(result.rows.filter((r) => r.split === 'train').map((r) => r.line)),
    test: join(result.rows.filter((r) => r.split === 'test').map((r) => r.line)),
    provenance: join(result.provenance.map((p) => JSON.stringify(p))),
  };
}
