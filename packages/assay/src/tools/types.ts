/**
 * The contract of server-side tools: what the tool loop (tools/loop) calls, and what each tool
 * family (retrieve, run_code, memory, http, mcp) provides. A tool never sees the HTTP request; it
 * gets its parsed arguments and a context with the call's signal, user and its own trace span.
 */
import { AssayError } from '../errors.js';
import type { Span } from '../tracing/span.js';

/** Where a piece of a tool's output came from; returned to the client with the final answer. */
export interface Citation {
  /** `chunk`: a knowledge-base chunk; `memory`: a stored memory; `url`: an HTTP/MCP resource. */
  type: 'chunk' | 'memory' | 'url';
  /** Chunk id, memory id or URL. */
  id: string;
  /** Document source (path, URL) or the tool that produced it. */
  source: string;
  /** The knowledge base (name) for chunks. */
  kb?: string;
  score?: number;
  /** The quoted text (may be shortened). */
  text?: string;
}

export interface ToolContext {
  /** Aborted when the client goes away, the server shuts down or the loop's time budget ends. */
  readonly signal: AbortSignal;
  readonly traceId: string;
  /** The end user (OpenAI `user` field or `x-assay-user`), for per-user tools such as memory. */
  readonly userId: string | null;
  /** This tool step's span (type `tool` or `retrieval`): a tool may add fields with `span.set`/`meta`. */
  readonly span: Span;
}

export interface ToolResult {
  /** What the model reads as the tool message's content. */
  content: string;
  /**
   * The tool ran but failed in a way the model should read (HTTP 404, code that threw, MCP
   * `isError`): `content` says what happened. Recorded as an error on the step's span.
   */
  isError?: boolean;
  /** Structured output kept in the trace (not sent to the model). */
  data?: unknown;
  citations?: Citation[];
}

/** JSON Schema of a tool's arguments object. */
export type JsonSchema = Record<string, unknown>;

export interface ServerTool {
  /** The function name the model sees: ^[a-zA-Z0-9_-]{1,64}$, unique among one call's tools. */
  readonly name: string;
  readonly description: string;
  readonly parameters: JsonSchema;
  /** The family: retrieve | run_code | memory | http | mcp. */
  readonly kind: string;
  /**
   * Runs the tool. Throwing means the tool itself broke (bug, dead server, timeout): the loop
   * records the error on the span and feeds a short error message back to the model.
   */
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolResult>;
}

/** A name a model accepts for a function. */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * A tool source that cannot provide its tools (an MCP server that does not start or cannot list
 * its tools, a misconfigured knowledge base): the call fails loudly with this instead of running
 * without the tools. 502 by default: the fault is upstream of the caller.
 */
export class ToolUnavailableError extends AssayError {
  readonly source: string;

  constructor(source: string, message: string, opts: { status?: number; cause?: unknown } = {}) {
    super({ status: opts.status ?? 502, message, type: 'upstream_error', code: 'tool_unavailable', cause: opts.cause, headers: { 'x-should-retry': 'false' } });
    this.source = source;
  }
}
