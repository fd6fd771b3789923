/**
 * `assay models pull [name]`: download a local model ahead of time (e.g. while online, or in a
 * Docker build) so the first request does not wait for it, and offline use works.
 */
import { notFound } from '../../errors.js';
import { resolveModel, type LocalProviderConfig } from './config.js';
import { checkPath, fetchModel } from './download.js';

export interface PullModelOptions {
  /** Model name from the config (default "default": ASSAY_LOCAL_MODEL_URI or the built-in model). */
  name?: string;
  /** Assay's data directory; the file lands in <dataDir>/models/. */
  dataDir: string;
  /** Download this URI instead of the named model's. */
  uri?: string;
  /** The `local` provider's config, to resolve configured names. */
  config?: Pick<LocalProviderConfig, 'models' | 'default_model'>;
  /** Progress bar on stderr (default true). */
  progress?: boolean;
  log?: (msg: string) => void;
  signal?: AbortSignal;
}

/**
 * Make sure the model file is on disk and return its path. A model configured with a path (or
 * `default` with ASSAY_LOCAL_MODEL set) needs no download: its path is checked and returned.
 * Errors: AssayError 503 (code local_model_unavailable) saying what failed; 404 for unknown names.
 */
export async function pullModel(opts: PullModelOptions): Promise<string> {
  const name = opts.name ?? 'default';
  const target = `local/${name}`;
  const fetchOpts = { dataDir: opts.dataDir, progress: opts.progress, log: opts.log, signal: opts.signal, target };
  if (opts.uri) return fetchModel(opts.uri, fetchOpts);
  const resolved = resolveModel(opts.config ?? { models: {} }, name);
  if (!resolved) throw notFound(`model "${name}" is not configured for the local provider; pass a uri to download`, 'model_not_found', 'name');
  if (resolved.source.kind === 'path') return checkPath(resolved.source.path, target);
  return fetchModel(resolved.source.uri, fetchOpts);
}
