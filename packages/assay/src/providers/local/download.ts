/**
 * Where a local model's GGUF file comes from: a path, or a node-llama-cpp model URI
 * ("hf:user/repo/file.gguf", "hf:user/repo:quant", https URL) downloaded into <dataDir>/models/.
 *
 * A download first looks for the file already in the models directory (no network), then checks
 * that the host is reachable (ipull, the downloader underneath, retries a refused connection for
 * minutes), then downloads with a progress bar on stderr and a stall watchdog.
 */
import { statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { resolveModelFile } from 'node-llama-cpp';
import { ProgressBar } from '../../cli/progress.js';
import { UpstreamError } from '../../errors.js';

/** The small instruct model `local/default` falls back to (Qwen2.5 0.5B Instruct, Q4_K_M, ~400 MB). */
export const DEFAULT_MODEL_URI = 'hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf';

/** Env: path to a GGUF file used for `local/default` (wins over the config). */
export const ENV_MODEL_PATH = 'ASSAY_LOCAL_MODEL';
/** Env: URI downloaded for `local/default` when no path is configured (default DEFAULT_MODEL_URI). */
export const ENV_MODEL_URI = 'ASSAY_LOCAL_MODEL_URI';

const PREFLIGHT_TIMEOUT_MS = 10_000;
const STALL_TIMEOUT_MS = 60_000;

export type ModelSource = { kind: 'path'; path: string } | { kind: 'uri'; uri: string };

export function modelsDir(dataDir: string): string {
  return join(dataDir, 'models');
}

/**
 * The error every "no model file" path ends in: 503 with what to do about it. An UpstreamError
 * with failure 'unavailable' so the router tries a fallback target instead of retrying this one.
 */
export function modelUnavailable(detail: string, cause?: unknown, target = 'local/default'): UpstreamError {
  const name = target.slice(target.indexOf('/') + 1);
  const hint =
    name === 'default'
      ? `set ${ENV_MODEL_PATH}=/path/to/model.gguf, or run \`assay models pull\` with internet access`
      : `set a path for model "${name}" in the config, or run \`assay models pull ${name}\` with internet access`;
  return new UpstreamError({
    status: 503,
    type: 'unavailable_error',
    code: 'local_model_unavailable',
    failure: 'unavailable',
    target,
    message: `no local model available for ${target}: ${hint}; ${detail}`,
    cause,
  });
}

/** A configured path must exist; relative paths are taken from the working directory. */
export function checkPath(path: string, target?: string): string {
  const p = resolve(path);
  let ok = false;
  try {
    ok = statSync(p).isFile();
  } catch {
    ok = false;
  }
  if (!ok) throw modelUnavailable(`model file ${p} does not exist`, undefined, target);
  return p;
}

export interface FetchModelOptions {
  dataDir: string;
  /** Progress bar on stderr (default true). */
  progress?: boolean;
  log?: (msg: string) => void;
  signal?: AbortSignal;
  /** "<provider id>/<model>" for the error. */
  target?: string;
}

/** Download `uri` into <dataDir>/models (or find it there) and return the file path. Errors: the 503 above. */
export async function fetchModel(uri: string, opts: FetchModelOptions): Promise<string> {
  const directory = modelsDir(opts.dataDir);
  const fileName = urlFileName(uri);
  try {
    // Already downloaded? (resolveModelFile checks the expected file names without the network.)
    return await resolveModelFile(uri, { directory, download: false, cli: false, fileName });
  } catch {
    // not there yet
  }
  try {
    await preflight(uri);
  } catch (err) {
    throw modelUnavailable(`download of ${uri} failed: ${reason(err)}`, err, opts.target);
  }
  const bar = opts.progress === false ? null : downloadProgress(uri);
  const stall = new AbortController();
  let timer: NodeJS.Timeout | null = null;
  const kick = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => stall.abort(new Error(`download stalled: no data for ${STALL_TIMEOUT_MS / 1000} s`)), STALL_TIMEOUT_MS);
    timer.unref();
  };
  const onOuterAbort = () => stall.abort(opts.signal!.reason);
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  opts.log?.(`local: downloading ${uri} into ${directory}`);
  kick();
  try {
    const stalled = new Promise<never>((_, reject) => {
      stall.signal.addEventListener('abort', () => reject(stall.signal.reason), { once: true });
    });
    const download = resolveModelFile(uri, {
      directory,
      fileName,
      cli: false,
      signal: stall.signal,
      onProgress: (s) => {
        kick();
        bar?.update(s.downloadedSize, s.totalSize);
      },
    });
    download.catch(() => undefined); // may settle after the watchdog won the race
    const path = await Promise.race([download, stalled]);
    bar?.done(true);
    opts.log?.(`local: downloaded ${uri} to ${path}`);
    return path;
  } catch (err) {
    bar?.done(false);
    if (opts.signal?.aborted) throw err;
    throw modelUnavailable(`download of ${uri} failed: ${reason(err)}`, err, opts.target);
  } finally {
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
}

/**
 * For a plain https URL, the file name to store it under (its last path segment), so a later
 * start finds it offline; hf: URIs are named by node-llama-cpp (e.g. "hf_<user>_<file>.gguf").
 */
function urlFileName(uri: string): string | undefined {
  if (!/^https?:\/\//i.test(uri)) return undefined;
  try {
    const name = decodeURIComponent(basename(new URL(uri).pathname));
    return /\.gguf$/i.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

/** Fail fast when the download host cannot be reached at all (offline, DNS, refused, firewall). */
async function preflight(uri: string): Promise<void> {
  let origin: string | null = null;
  if (/^(hf|huggingface):/i.test(uri)) origin = 'https://huggingface.co';
  else if (/^https?:\/\//i.test(uri)) origin = new URL(uri).origin;
  if (!origin) return;
  // Any HTTP answer means the host is reachable; the downloader reports HTTP errors itself.
  const res = await fetch(origin, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(PREFLIGHT_TIMEOUT_MS) });
  await res.body?.cancel().catch(() => undefined);
}

function reason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  if (err.name === 'TimeoutError') return `no answer from the host within ${PREFLIGHT_TIMEOUT_MS / 1000} s`;
  if (cause instanceof Error) {
    const code = (cause as { code?: string }).code;
    return `${err.message} (${code ? `${code}: ` : ''}${cause.message})`;
  }
  return err.message;
}

/** The download's progress on stderr (src/cli/progress.ts): a bar on a TTY, a line per 10% otherwise. */
function downloadProgress(uri: string): ProgressBar {
  const name = shortName(uri);
  return new ProgressBar({
    label: name,
    detail: (done, total, s) => `${mb(done)}/${mb(total)} MB ${mb(done / s)} MB/s`,
    line: (_done, total, pct) => `downloading ${name}: ${pct}% of ${mb(total)} MB`,
  });
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function shortName(uri: string): string {
  return basename(uri.replace(/[?#].*$/, '')) || uri;
}
