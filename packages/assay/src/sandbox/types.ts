/**
 * Public types and limits of the code sandbox (docs/sandbox.md). Shared by the main-thread pool
 * (sandbox.ts) and the worker-side engine (engine.ts), so this file imports nothing from either.
 */
import { badRequest } from '../errors.js';

/** Why a run failed. `output`: the result or a log could not be returned (not JSON, too large). */
export type SandboxErrorKind = 'timeout' | 'memory' | 'stack' | 'syntax' | 'runtime' | 'output';

export interface SandboxError {
  /** The JavaScript error name inside the sandbox (`TypeError`, `InternalError`, …). */
  name: string;
  message: string;
  stack?: string;
  kind: SandboxErrorKind;
  /** 1-based position in the submitted code, when QuickJS reports one (syntax errors always). */
  line?: number;
  column?: number;
}

export interface LogEntry {
  level: 'log' | 'info' | 'warn' | 'error' | 'debug';
  text: string;
}

interface RunOutcome {
  logs: LogEntry[];
  /** True when console output went past `maxLogChars` and the rest was dropped. */
  logsTruncated: boolean;
  /** Time spent executing (compile, run, job loop, serialization), not waiting in the queue. */
  durationMs: number;
}

export type RunResult =
  | (RunOutcome & { ok: true; value: unknown })
  | (RunOutcome & { ok: false; error: SandboxError });

/** Per-run limits. Every field has a default (DEFAULT_LIMITS) and a hard range (LIMIT_RANGES). */
export interface RunLimits {
  /** Wall-clock budget of the run, enforced by the QuickJS interrupt handler. */
  timeoutMs: number;
  /** Heap the code may allocate: QuickJS's limit plus a hard cap on the WebAssembly memory. */
  memoryBytes: number;
  /** QuickJS stack size (deep recursion becomes a `stack` error). */
  stackBytes: number;
  /** Largest result, as UTF-8 JSON. */
  maxOutputBytes: number;
  /** Console output kept: characters (UTF-16 code units) of all entries, plus one per entry. */
  maxLogChars: number;
}

export interface RunOptions extends Partial<RunLimits> {
  /** JSON-serializable data, readable by the code as the global `input`. */
  input?: unknown;
  /** Gives up on a run still waiting in the queue (a started run ends at its own deadline). */
  signal?: AbortSignal;
}

export const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<RunLimits> = {
  timeoutMs: 1000,
  memoryBytes: 64 * MiB,
  stackBytes: 1 * MiB,
  maxOutputBytes: 1 * MiB,
  maxLogChars: 64 * 1024,
};

/**
 * Accepted ranges. The stack ceiling is what the worker thread's native stack (WORKER_STACK_MB)
 * is sized for: QuickJS must hit its own check before V8 runs out of native stack.
 */
export const LIMIT_RANGES: Readonly<Record<keyof RunLimits, readonly [number, number]>> = {
  timeoutMs: [1, 60_000],
  memoryBytes: [1 * MiB, 1024 * MiB],
  stackBytes: [64 * 1024, 2 * MiB],
  maxOutputBytes: [1, 16 * MiB],
  maxLogChars: [0, 4 * MiB],
};

/** Native stack of each worker thread; see LIMIT_RANGES.stackBytes. */
export const WORKER_STACK_MB = 64;

/** Checks one limits object (partial), naming the field and the accepted range on error. */
export function checkLimits(limits: Partial<RunLimits>, where: string): Partial<RunLimits> {
  const out: Partial<RunLimits> = {};
  for (const key of Object.keys(LIMIT_RANGES) as (keyof RunLimits)[]) {
    const v = limits[key];
    if (v === undefined) continue;
    const [min, max] = LIMIT_RANGES[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw badRequest(`${where}.${key} must be an integer from ${min} to ${max}, got ${describe(v)}`, key);
    }
    out[key] = v;
  }
  return out;
}

/** Merges defaults and per-run options into complete limits. */
export function resolveLimits(defaults: Partial<RunLimits>, options: Partial<RunLimits>): RunLimits {
  return { ...DEFAULT_LIMITS, ...defaults, ...checkLimits(options, 'options') };
}

/** Serializes `input` on the caller's side, so a bad input is the caller's error, not the code's. */
export function encodeInput(input: unknown, maxBytes: number): string | undefined {
  if (input === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(input, (_key, v: unknown) => {
      if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') {
        throw new TypeError(`a ${typeof v} is not JSON data`);
      }
      return v;
    });
  } catch (err) {
    throw badRequest(`options.input must be JSON-serializable: ${(err as Error).message}`, 'input');
  }
  if (json === undefined) throw badRequest('options.input must be JSON-serializable', 'input');
  if (json.length > maxBytes) {
    throw badRequest(`options.input is ${json.length} characters of JSON, over the run's memoryBytes (${maxBytes})`, 'input');
  }
  return json;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return String(v);
}
