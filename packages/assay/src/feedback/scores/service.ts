/**
 * Score configs: create, list, read, archive/describe; and the check a score goes through before it
 * is stored — against the config it names (config_id) or, failing that, the active config of its
 * name. An archived config refuses scores that name it by id; by name it no longer applies.
 */
import { randomBytes } from 'node:crypto';
import { AssayError, badRequest, notFound } from '../../errors.js';
import type { Db } from '../../store/db.js';
import type { Score } from '../../store/scores.js';
import { ScoreConfigsRepo } from './repo.js';
import type { ScoreConfig, ScoreConfigInput, ScoreConfigPatch } from './types.js';
import { checkAgainstConfig, type CheckedScoreValue, type RawScoreValue } from './validate.js';

export class ScoreConfigService {
  readonly repo: ScoreConfigsRepo;

  constructor(db: Db) {
    this.repo = new ScoreConfigsRepo(db);
  }

  async create(projectId: string, input: ScoreConfigInput, createdBy: string | null): Promise<ScoreConfig> {
    const existing = await this.repo.getByName(projectId, input.name);
    if (existing) throw conflict(input.name, existing);
    const now = Date.now();
    const config: ScoreConfig = {
      id: `sc_${randomBytes(8).toString('hex')}`,
      project_id: projectId,
      name: input.name,
      data_type: input.data_type,
      min: input.data_type === 'NUMERIC' ? (input.min ?? null) : null,
      max: input.data_type === 'NUMERIC' ? (input.max ?? null) : null,
      categories: input.data_type === 'CATEGORICAL' ? (input.categories ?? null) : null,
      description: input.description ?? null,
      archived: false,
      created_by: createdBy,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.repo.insert(config);
    } catch (err) {
      // Two creations of one name at once: the unique index decides.
      const again = await this.repo.getByName(projectId, input.name);
      if (again) throw conflict(input.name, again);
      throw err;
    }
    return config;
  }

  list(projectId: string, opts: { includeArchived?: boolean; name?: string } = {}): Promise<ScoreConfig[]> {
    return this.repo.list(projectId, opts);
  }

  async get(projectId: string, id: string): Promise<ScoreConfig> {
    const c = await this.repo.get(projectId, id);
    if (!c) throw notFound(`no score config ${id}`, 'score_config_not_found');
    return c;
  }

  async update(projectId: string, id: string, patch: ScoreConfigPatch): Promise<ScoreConfig> {
    await this.get(projectId, id);
    await this.repo.update(projectId, id, patch);
    return this.get(projectId, id);
  }

  /**
   * Check a score before it is stored. Returns the config it was checked against (or null when
   * none applies) and the normalized value; throws a 400 naming what the config allows.
   */
  async check(projectId: string, score: RawScoreValue & { config_id?: string }): Promise<{ config: ScoreConfig | null; checked: CheckedScoreValue | null }> {
    if (score.config_id) {
      const config = await this.repo.get(projectId, score.config_id);
      if (!config) throw badRequest(`config_id ${score.config_id}: no such score config (GET /api/score-configs lists them)`, 'config_id', 'score_config_not_found');
      if (config.archived) {
        throw badRequest(`score config "${config.name}" (${config.id}) is archived and takes no new scores; unarchive it with PATCH {archived: false}`, 'config_id', 'score_config_archived');
      }
      return { config, checked: checkAgainstConfig(score, config) };
    }
    const config = await this.repo.getByName(projectId, score.name);
    if (!config || config.archived) return { config: null, checked: null };
    return { config, checked: checkAgainstConfig(score, config) };
  }
}

/**
 * A score as stored (from Langfuse ingestion or OTel evaluation events) checked against its config:
 * the normalized score, or the 400 that says why it does not fit. Scores without a config pass.
 */
export async function checkStoredScore(svc: Pick<ScoreConfigService, 'check'>, score: Score): Promise<Score> {
  const value: number | string | boolean =
    score.data_type === 'BOOLEAN' ? score.value === 1 || score.string_value === 'true'
    : score.data_type === 'NUMERIC' ? (score.value ?? Number.NaN)
    : (score.string_value ?? (score.value ?? ''));
  const { config, checked } = await svc.check(score.project_id, {
    name: score.name,
    value,
    // An ingested score's type was inferred from its value: the config decides it.
    ...(score.config_id ? { config_id: score.config_id } : {}),
  });
  return config && checked ? { ...score, ...checked, config_id: config.id } : score;
}

function conflict(name: string, existing: ScoreConfig): AssayError {
  return new AssayError({
    status: 409,
    code: 'score_config_exists',
    param: 'name',
    message: `a score config named "${name}" already exists (${existing.id}, ${existing.data_type}${existing.archived ? ', archived' : ''}); names are unique per project`,
  });
}
