/**
 * Runs one piece of untrusted JavaScript in QuickJS (quickjs-emscripten, WebAssembly). Synchronous
 * and CPU-bound: it runs in a sandbox worker thread (worker.ts), never on the server's event loop.
 *
 * Every run gets a fresh WebAssembly instance with its own linear memory, created with a hard
 * `maximum`: QuickJS's own memory limit only bounds single allocations in this build (its byte
 * accounting is zero under Emscripten), so the real ceiling is the memory object, which cannot grow
 * past base + memoryBytes; malloc then fails and QuickJS throws "out of memory". A fresh instance
 * costs about half a millisecond (the compiled module is shared) and also means that nothing a run
 * did, or broke, survives into the next one.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  RELEASE_SYNC,
  type QuickJSContext,
  type QuickJSHandle,
} from 'quickjs-emscripten';
import { PRELUDE } from './prelude.js';
import type { LogEntry, RunLimits, RunResult, SandboxError, SandboxErrorKind } from './types.js';

export interface Job {
  code: string;
  /** `input` already serialized by the caller (types.ts encodeInput). */
  inputJson?: string;
  limits: RunLimits;
}

/** The file name user code gets in stacks and syntax errors. */
export const CODE_FILE = 'code.js';
/** The user's code is the body of this async function; it stays on line 1 so line numbers match. */
const WRAP_HEAD = '(async function () {';
const WRAP_TAIL = '\n})';
const PAGE = 64 * 1024;
/** Memory every instance starts with (the build's INITIAL_MEMORY: static data, C stack, first heap). */
const BASE_PAGES = 256;
/** Promise jobs run between deadline checks in the job loop. */
const JOB_BATCH = 1000;
/** Extra time for reading a thrown value after the deadline (its getters run under this bound). */
const DESCRIBE_GRACE_MS = 50;
const LOG_LEVELS = new Set(['log', 'info', 'warn', 'error', 'debug']);

/** The slice of the WebAssembly API used here (the project's lib settings do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<WasmModule>;
}
type WasmModule = object & { readonly __wasmModule?: never };
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const require = createRequire(import.meta.url);
const wasmPath = createRequire(require.resolve('quickjs-emscripten')).resolve('@jitl/quickjs-wasmfile-release-sync/wasm');
let compiled: Promise<WasmModule> | null = null;

/** Thrown inside the job to unwind with a known classification. */
class Failure extends Error {
  constructor(readonly error: SandboxError) {
    super(error.message);
  }
}

/** Compiles the QuickJS WebAssembly module once per thread; instances are cheap after that. */
export function warmUp(): Promise<WasmModule> {
  return (compiled ??= wasm.compile(readFileSync(wasmPath)));
}

export async function runJob(job: Job): Promise<RunResult> {
  const wasmModule = await warmUp();
  const started = performance.now();
  const { limits } = job;
  const wasmMemory = new wasm.Memory({
    initial: BASE_PAGES,
    maximum: BASE_PAGES + Math.ceil(limits.memoryBytes / PAGE),
  });
  const quiet = () => {}; // an aborting instance prints to stderr; its failure is reported instead
  const variant = newVariant(RELEASE_SYNC, {
    wasmModule: wasmModule as never,
    wasmMemory: wasmMemory as never,
    emscriptenModule: { print: quiet, printErr: quiet } as object,
  });
  const module = await newQuickJSWASMModuleFromVariant(variant);
  // Emscripten grows memory through `memory.grow`; a refusal (past `maximum`) makes malloc fail. The
  // flag says whether the latest growth was refused: the code needed more memory than it may have.
  let growRefused = false;
  let reserving = false;
  const nativeGrow = wasmMemory.grow.bind(wasmMemory);
  Object.defineProperty(wasmMemory, 'grow', {
    value: (pages: number) => {
      if (reserving) throw new RangeError('no growth while reserving the initial heap');
      try {
        const previous = nativeGrow(pages);
        growRefused = false;
        return previous;
      } catch (err) {
        growRefused = true;
        throw err;
      }
    },
  });

  const codeLines = job.code.split('\n').length;
  let deadline = Date.now() + limits.timeoutMs;
  let interrupted = false;
  const logs: LogEntry[] = [];
  let logChars = 0;
  let logsTruncated = false;
  const finish = (r: { ok: true; value: unknown } | { ok: false; error: SandboxError }): RunResult => ({
    ...r,
    logs,
    logsTruncated,
    durationMs: Math.round((performance.now() - started) * 100) / 100,
  });

  const rt = module.newRuntime();
  rt.setMemoryLimit(limits.memoryBytes);
  rt.setMaxStackSize(limits.stackBytes);
  rt.setInterruptHandler(() => {
    if (Date.now() < deadline) return false;
    interrupted = true;
    return true;
  });
  rt.setModuleLoader((name) => ({ error: new Error(`cannot import "${name}": modules are not available in the sandbox`) }));
  let ctx: QuickJSContext | null = null;
  const handles: QuickJSHandle[] = [];
  const keep = (h: QuickJSHandle) => (handles.push(h), h);

  /** Turns an exception handle into a SandboxError, using what the host knows first. */
  const classify = (errHandle: QuickJSHandle | null, phase: 'compile' | 'run' | 'result', describe?: QuickJSHandle): SandboxError => {
    const timeout = (): SandboxError => ({ name: 'InternalError', message: `the code ran past its time limit of ${limits.timeoutMs} ms`, kind: 'timeout' });
    const memory = (): SandboxError => ({ name: 'InternalError', message: `the code ran out of memory (limit ${limits.memoryBytes} bytes)`, kind: 'memory' });
    if (interrupted) return timeout();
    const info = errHandle && describe ? describeError(ctx!, errHandle, describe, () => (deadline = Date.now() + DESCRIBE_GRACE_MS)) : null;
    if (interrupted) {
      interrupted = false; // reading the thrown value, not the code, ran out of time
      if (info) info.stack = undefined;
    }
    // Out of memory with nothing left to build an error with: QuickJS throws null (or reading fails).
    if (growRefused && (!info || info.nonError)) return memory();
    if (!info) return { name: 'InternalError', message: 'the code failed with an exception that could not be read', kind: 'runtime' };
    const { nonError: _, ...error } = info;
    const kind: SandboxErrorKind =
      /^(out of memory|string too long|array too long|invalid array buffer length)/i.test(info.message) ? 'memory'
      : /stack overflow|maximum call stack/i.test(info.message) ? 'stack'
      : phase === 'compile' && info.name === 'SyntaxError' ? 'syntax'
      : phase === 'result' ? 'output'
      : 'runtime';
    if (kind === 'output') return { name: error.name, message: error.message, kind }; // frames are the prelude's
    if (kind === 'syntax') delete error.stack; // only repeats the position
    if (kind === 'syntax' && error.line !== undefined) {
      if (error.line > codeLines) {
        // Reported on the wrapper's closing line: the code ended inside a block, call or string.
        error.line = codeLines;
        delete error.column;
        error.message += ' at the end of the code (a brace, bracket, parenthesis or string is not closed)';
      } else {
        error.message += ` (line ${error.line}${error.column ? `, column ${error.column}` : ''})`;
      }
    }
    return { ...error, kind };
  };

  try {
    ctx = rt.newContext();
    const c = ctx;
    const emit = keep(
      c.newFunction('emit', (levelH, textH) => {
        const level = c.typeof(levelH) === 'string' ? c.getString(levelH) : 'log';
        // Each entry costs its text plus one (a newline, as printed), so empty entries are bounded too.
        const budget = limits.maxLogChars - logChars;
        if (c.typeof(textH) === 'string' && LOG_LEVELS.has(level)) {
          const lengthH = c.getProp(textH, 'length');
          const length = c.getNumber(lengthH);
          lengthH.dispose();
          if (length + 1 > budget) logsTruncated = true;
          // The prelude clips texts to budget + 1; anything longer means it was tampered with: drop it.
          if (budget > 0 && length <= budget + 1) {
            const text = c.getString(textH).slice(0, budget - 1);
            logChars += text.length + 1;
            logs.push({ level: level as LogEntry['level'], text });
          }
        }
        return c.newNumber(Math.max(0, limits.maxLogChars - logChars));
      }),
    );

    // The initial memory still has ~10 MiB of free heap; take it, so the code's heap is the growth.
    reserving = true;
    try {
      reserveFreeHeap(module);
    } finally {
      reserving = false;
    }

    // Prelude: console, input, and the serialize/describe helpers.
    const prelude = evalOrFail(c, PRELUDE, 'prelude.js', (h) => classify(h, 'run'));
    keep(prelude);
    const inputH = keep(job.inputJson === undefined ? c.undefined : c.newString(job.inputJson));
    const helpers = keep(unwrap(c, c.callFunction(prelude, c.undefined, emit, inputH, keep(c.newNumber(limits.maxLogChars))), (h) => classify(h, 'run')));
    const serialize = keep(c.getProp(helpers, 'serialize'));
    const describe = keep(c.getProp(helpers, 'describe'));

    // Compile: the code becomes the body of an async function, so `return` gives the result.
    const fn = keep(evalOrFail(c, `${WRAP_HEAD}${job.code}${WRAP_TAIL}`, CODE_FILE, (h) => classify(h, 'compile', describe)));
    if (c.typeof(fn) !== 'function') {
      throw new Failure({ name: 'SyntaxError', message: 'the code closes the function body it is wrapped in (unbalanced braces)', kind: 'syntax' });
    }
    const promise = keep(unwrap(c, c.callFunction(fn, c.undefined), (h) => classify(h, 'run', describe)));

    // Job loop: run promise jobs until the result settles, the deadline passes, or nothing is left.
    for (;;) {
      const state = c.getPromiseState(promise);
      if (state.type === 'fulfilled') {
        keep(state.value);
        return finish({ ok: true, value: readResult(c, state.value, serialize, limits, (h) => classify(h, 'result', describe)) });
      }
      if (state.type === 'rejected') {
        throw new Failure(classify(keep(state.error), 'run', describe));
      }
      if (Date.now() >= deadline) {
        interrupted = true;
        throw new Failure(classify(null, 'run'));
      }
      if (!rt.hasPendingJob()) {
        throw new Failure({
          name: 'Error',
          message: 'the returned promise never settles: it waits on something that cannot happen in the sandbox (there are no timers or I/O)',
          kind: 'runtime',
        });
      }
      const ran = rt.executePendingJobs(JOB_BATCH);
      if (ran.error) {
        // Rejections settle promises; a job only fails on an uncatchable error (memory, stack, deadline).
        throw new Failure(classify(keep(ran.error), 'run', describe));
      }
    }
  } catch (err) {
    if (err instanceof Failure) return finish({ ok: false, error: err.error });
    // A host-level failure: V8's stack ran out inside the interpreter, or the instance aborted.
    const message = (err as Error)?.message ?? String(err);
    if (/maximum call stack/i.test(message)) {
      return finish({ ok: false, error: { name: 'RangeError', message: 'the code overflowed the stack (too much recursion)', kind: 'stack' } });
    }
    const known = interrupted || growRefused ? classify(null, 'run') : null;
    return finish({ ok: false, error: known ?? { name: 'InternalError', message: `the sandbox failed: ${message}`, kind: 'runtime' } });
  } finally {
    // The instance is dropped either way; disposal only matters for a clean exit and can fail after
    // an abort or a QuickJS leak (the memory goes with the instance).
    try {
      for (const h of handles.reverse()) if (h.alive) h.dispose();
      ctx?.dispose();
      rt.dispose();
    } catch {
      /* the instance is garbage now */
    }
  }
}

/**
 * Allocates (and never frees) the free heap of the instance's initial memory, as the largest blocks
 * that fit without growing it (found by bisection). Emscripten's exported malloc is reached through the module's private
 * field; its absence (another quickjs-emscripten version) fails loudly rather than loosening the cap.
 */
function reserveFreeHeap(module: object): void {
  const em = (module as { module?: { _malloc?: (n: number) => number; _free?: (p: number) => void } }).module;
  if (typeof em?._malloc !== 'function' || typeof em._free !== 'function') {
    throw new Error('quickjs-emscripten no longer exposes malloc: the memory cap cannot be made exact');
  }
  // Free space can be split in several regions: take the largest block until what is left is small.
  for (let round = 0; round < 32; round++) {
    let lo = 0;
    let hi = BASE_PAGES * PAGE;
    while (hi - lo > 1024) {
      const mid = Math.floor((lo + hi) / 2);
      const p = em._malloc(mid);
      if (p) {
        em._free(p);
        lo = mid;
      } else {
        hi = mid;
      }
    }
    if (lo < 16 * 1024) return;
    em._malloc(lo);
  }
}

function evalOrFail(c: QuickJSContext, code: string, file: string, fail: (h: QuickJSHandle) => SandboxError): QuickJSHandle {
  return unwrap(c, c.evalCode(code, file, { type: 'global' }), fail);
}

function unwrap(
  c: QuickJSContext,
  r: { error?: QuickJSHandle; value?: QuickJSHandle } & ({ error: QuickJSHandle } | { value: QuickJSHandle }),
  fail: (h: QuickJSHandle) => SandboxError,
): QuickJSHandle {
  if ('error' in r && r.error) {
    const e = r.error;
    try {
      throw new Failure(fail(e));
    } finally {
      if (e.alive) e.dispose();
    }
  }
  return (r as { value: QuickJSHandle }).value;
}

/** Reads a thrown value through the prelude's `describe`, positions mapped to the user's code. */
function describeError(
  c: QuickJSContext,
  errHandle: QuickJSHandle,
  describe: QuickJSHandle,
  extendDeadline: () => void,
): (Omit<SandboxError, 'kind'> & { nonError?: boolean }) | null {
  extendDeadline();
  const r = c.callFunction(describe, c.undefined, errHandle);
  if (r.error) {
    r.error.dispose();
    return null;
  }
  const text = c.typeof(r.value) === 'string' ? c.getString(r.value) : null;
  r.value.dispose();
  if (text === null || text.length > 20_000) return null;
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof d !== 'object' || d === null || typeof d.name !== 'string' || typeof d.message !== 'string') return null;
  const out: Omit<SandboxError, 'kind'> & { nonError?: boolean } = { name: d.name, message: d.message };
  if (d.nonError === true) out.nonError = true;
  if (typeof d.stack === 'string' && d.stack) out.stack = mapPositions(d.stack);
  const at = /code\.js:(\d+)(?::(\d+))?/.exec(out.stack ?? '');
  const line = at ? Number(at[1]) : typeof d.lineNumber === 'number' ? d.lineNumber : undefined;
  if (line !== undefined) out.line = line;
  if (at?.[2]) out.column = Number(mapColumn(line ?? 0, Number(at[2])));
  return out;
}

/** Line 1 of the user's code follows WRAP_HEAD on the same line: shift its columns back. */
function mapColumn(line: number, column: number): number {
  return line === 1 ? Math.max(1, column - WRAP_HEAD.length) : column;
}

function mapPositions(stack: string): string {
  return stack.replace(/code\.js:(\d+):(\d+)/g, (_m, l: string, col: string) => `${CODE_FILE}:${l}:${mapColumn(Number(l), Number(col))}`);
}

/** Serializes the result inside the sandbox and parses it here, within maxOutputBytes. */
function readResult(
  c: QuickJSContext,
  value: QuickJSHandle,
  serialize: QuickJSHandle,
  limits: RunLimits,
  fail: (h: QuickJSHandle) => SandboxError,
): unknown {
  const json = unwrap(c, c.callFunction(serialize, c.undefined, value), fail);
  try {
    const type = c.typeof(json);
    if (type === 'undefined') return undefined;
    if (type !== 'string') {
      throw new Failure({ name: 'TypeError', message: 'the returned value is not JSON-serializable', kind: 'output' });
    }
    const lengthH = c.getProp(json, 'length');
    const length = c.getNumber(lengthH);
    lengthH.dispose();
    const tooLarge = () =>
      new Failure({
        name: 'RangeError',
        message: `the returned value is over maxOutputBytes (${limits.maxOutputBytes} bytes of JSON)`,
        kind: 'output',
      });
    if (length > limits.maxOutputBytes) throw tooLarge();
    const text = c.getString(json);
    if (Buffer.byteLength(text) > limits.maxOutputBytes) throw tooLarge();
    return JSON.parse(text) as unknown;
  } finally {
    json.dispose();
  }
}
