/**
 * `run_code`: the model writes JavaScript, the sandbox (QuickJS in WebAssembly, docs/sandbox.md)
 * runs it with no access to the host, and the result, console output or error is fed back.
 */
import type { Sandbox } from '../../sandbox/index.js';
import type { RunResult } from '../../sandbox/index.js';
import type { FamilyResolver } from '../resolve.js';
import type { ServerTool, ToolResult } from '../types.js';

const DESCRIPTION =
  'Runs JavaScript (ES2023, no network, no file system, no imports) in an isolated sandbox and returns the result. ' +
  'The code is the body of an async function: use `return` to give the result (any JSON value); console.log output is returned too. ' +
  'Use it for arithmetic, counting, dates, parsing and checking data — anything that must be exact.';

function describe(r: RunResult): ToolResult {
  const logs = r.logs.map((l) => (l.level === 'log' ? l.text : `[${l.level}] ${l.text}`)).join('\n');
  const logPart = logs ? `\nconsole:\n${logs}${r.logsTruncated ? '\n[console output truncated]' : ''}` : '';
  if (r.ok) {
    const value = r.value === undefined ? 'undefined (use `return` to give a result)' : JSON.stringify(r.value);
    return { content: `result: ${value}${logPart}`, data: { ok: true, value: r.value ?? null, logs: r.logs, ms: r.durationMs } };
  }
  const where = r.error.line ? ` (line ${r.error.line}${r.error.column ? `, column ${r.error.column}` : ''})` : '';
  return {
    content: `${r.error.name}: ${r.error.message}${where} [${r.error.kind}]${logPart}`,
    isError: true,
    data: { ok: false, error: r.error, logs: r.logs, ms: r.durationMs },
  };
}

export function runCodeFamily(sandbox: Sandbox): FamilyResolver<'run_code'> {
  return async ({ run_code: spec }) => {
    const tool: ServerTool = {
      name: 'run_code',
      kind: 'run_code',
      description: DESCRIPTION,
      parameters: {
        type: 'object',
        properties: { code: { type: 'string', description: 'JavaScript: the body of an async function; `return` the result.' } },
        required: ['code'],
        additionalProperties: false,
      },
      async run(args, ctx) {
        if (typeof args.code !== 'string' || args.code.trim() === '') {
          return { content: 'Error: `code` must be a non-empty string of JavaScript.', isError: true };
        }
        const result = await sandbox.run(args.code, {
          signal: ctx.signal,
          ...(spec.timeout_ms ? { timeoutMs: spec.timeout_ms } : {}),
          ...(spec.memory_mb ? { memoryBytes: spec.memory_mb * 1024 * 1024 } : {}),
        });
        ctx.span.meta({ sandbox: { ok: result.ok, ms: result.durationMs, ...(result.ok ? {} : { kind: result.error.kind }) } });
        return describe(result);
      },
    };
    return { tools: [tool] };
  };
}
