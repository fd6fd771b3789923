/** Scores: judgements on a trace, an observation or a session, sent to `POST /api/scores`. */

export type ScoreDataType = 'NUMERIC' | 'CATEGORICAL' | 'BOOLEAN' | 'TEXT';

export interface ScoreInput {
  /** Your own id for the score: sending the same id again replaces it (e.g. a user changing their feedback). */
  id?: string;
  /** The trace to score. Default: the current trace, when neither traceId nor sessionId is given. */
  traceId?: string;
  /** An observation in the trace (it needs the traceId too, which defaults to the current trace). */
  observationId?: string;
  sessionId?: string;
  /** What is scored, e.g. "helpfulness" or "user-feedback". */
  name: string;
  value: number | string | boolean;
  /** Default: NUMERIC for numbers, BOOLEAN for booleans, CATEGORICAL for strings. */
  dataType?: ScoreDataType;
  comment?: string;
  metadata?: Record<string, unknown>;
}

/** A refused request: the HTTP status and the server's message. */
export class AssayError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'AssayError';
  }
}

const DATA_TYPES: readonly ScoreDataType[] = ['NUMERIC', 'CATEGORICAL', 'BOOLEAN', 'TEXT'];

function inferType(value: ScoreInput['value']): ScoreDataType {
  if (typeof value === 'boolean') return 'BOOLEAN';
  if (typeof value === 'number') return 'NUMERIC';
  return 'CATEGORICAL';
}

/** Checks the score before it leaves the process, so a mistake is reported where it was made. */
function check(s: ScoreInput): void {
  if (!s.traceId && !s.sessionId) {
    throw new TypeError('score() needs a traceId (optionally with an observationId) or a sessionId, or must run inside an observation to score the current trace');
  }
  if (typeof s.name !== 'string' || s.name.trim() === '') throw new TypeError('score() needs a non-empty name, e.g. "helpfulness"');
  if (!['number', 'string', 'boolean'].includes(typeof s.value)) {
    throw new TypeError(`score "${s.name}": value must be a number, string or boolean, got ${s.value === null ? 'null' : typeof s.value}`);
  }
  if (typeof s.value === 'number' && !Number.isFinite(s.value)) throw new TypeError(`score "${s.name}": value must be a finite number, got ${s.value}`);
  if (s.dataType !== undefined && !DATA_TYPES.includes(s.dataType)) {
    throw new TypeError(`score "${s.name}": dataType must be one of ${DATA_TYPES.join(', ')}, got "${String(s.dataType)}"`);
  }
}

export async function postScore(host: string, apiKey: string, s: ScoreInput, environment?: string): Promise<string> {
  check(s);
  // Absent fields are left out (undefined disappears in JSON), never sent as null.
  const body = {
    id: s.id,
    trace_id: s.traceId,
    observation_id: s.observationId,
    session_id: s.sessionId,
    name: s.name,
    value: s.value,
    data_type: s.dataType ?? inferType(s.value),
    comment: s.comment,
    metadata: s.metadata,
    environment,
  };
  let res: Response;
  try {
    res = await fetch(`${host}/api/scores`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new AssayError(`could not send score "${s.name}" to ${host}/api/scores: ${(err as Error).message}`);
  }
  const text = await res.text();
  let json: { id?: unknown; data?: { id?: unknown }; error?: { message?: string; code?: string } } = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    /* reported below */
  }
  if (!res.ok) {
    const message = json.error?.message ?? (text.slice(0, 300) || res.statusText);
    throw new AssayError(`score "${s.name}" was refused (HTTP ${res.status}): ${message}`, res.status, json.error?.code);
  }
  const id = json.id ?? json.data?.id;
  if (typeof id !== 'string') throw new AssayError(`score "${s.name}": the server answered ${res.status} without a score id: ${text.slice(0, 300)}`, res.status);
  return id;
}
