/** Code execution in QuickJS/WebAssembly, off the event loop. See docs/sandbox.md. */
export { Sandbox, MAX_CODE_CHARS, type SandboxOptions, type SandboxStats } from './sandbox.js';
export {
  DEFAULT_LIMITS,
  LIMIT_RANGES,
  type LogEntry,
  type RunLimits,
  type RunOptions,
  type RunResult,
  type SandboxError,
  type SandboxErrorKind,
} from './types.js';
