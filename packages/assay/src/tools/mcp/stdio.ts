/**
 * MCP client transport over a child process's stdin/stdout. Unlike the SDK's StdioClientTransport it
 * keeps what an error message needs: the spawn error, the exit code or signal, and the last lines
 * of stderr (captured into a bounded ring, never inherited). The child leads its own process group
 * so that closing terminates whatever it started too (npx → node, uvx → python …).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { deserializeMessage, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** The last `maxLines` lines of a stream, each cut to `maxLineChars`; memory stays bounded. */
export class LineRing {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(
    private readonly maxLines = 20,
    private readonly maxLineChars = 500,
  ) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = (parts.pop() ?? '').slice(-4 * this.maxLineChars);
    for (const line of parts) this.add(line);
  }

  private add(line: string): void {
    if (line.trim() === '') return;
    this.lines.push(line.length > this.maxLineChars ? `${line.slice(0, this.maxLineChars)}…` : line);
    if (this.lines.length > this.maxLines) this.lines.shift();
  }

  /** The buffered lines, including an unterminated last line. */
  text(): string {
    const tail = this.partial.trim() === '' ? [] : [this.partial.slice(0, this.maxLineChars)];
    return [...this.lines, ...tail].slice(-this.maxLines).join('\n');
  }
}

export interface StdioParams {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/** Time the child gets to exit on its own after stdin closes, then after SIGTERM, before SIGKILL. */
const GRACE_MS = 1000;
const TERM_MS = 2000;
/** Largest JSON-RPC message (one stdout line) accepted from a server. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export class StdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  readonly stderr = new LineRing();
  /** Set when the process could not be spawned (ENOENT, EACCES …). */
  spawnError: (Error & { code?: string }) | null = null;
  /** Set when the process exited. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  /** Set when we stopped the server for breaking the protocol. */
  protocolError: string | null = null;

  private child?: ChildProcess;
  /** The unterminated tail of stdout. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private closed?: Promise<void>;
  private closedResolve!: () => void;
  private finished = false;

  constructor(private readonly params: StdioParams) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  start(): Promise<void> {
    if (this.child) throw new Error('StdioTransport already started');
    this.closed = new Promise((resolve) => (this.closedResolve = resolve));
    return new Promise((resolve, reject) => {
      const child = spawn(this.params.command, this.params.args ?? [], {
        env: { ...getDefaultEnvironment(), ...this.params.env },
        cwd: this.params.cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
        shell: false,
        detached: process.platform !== 'win32',
        windowsHide: true,
      });
      this.child = child;
      let spawned = false;
      child.once('spawn', () => {
        spawned = true;
        resolve();
      });
      child.on('error', (err: Error & { code?: string }) => {
        if (!spawned) {
          this.spawnError = err;
          reject(err);
          this.finish();
        } else this.onerror?.(err);
      });
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        // Helpers it left behind would keep the pipes open (and 'close' from firing).
        this.killGroup('SIGTERM');
        setTimeout(() => this.finish(), 1000).unref();
      });
      child.once('close', () => this.finish());
      child.stdout!.on('data', (chunk: Buffer) => this.onStdout(chunk));
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => this.stderr.push(chunk));
      for (const stream of [child.stdin!, child.stdout!, child.stderr!]) {
        stream.on('error', (err) => this.onerror?.(err));
      }
    });
  }

  /** Splits stdout into lines; each line is one JSON-RPC message. */
  private onStdout(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1 && !this.protocolError; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      const line = (this.pendingBytes > 0 ? Buffer.concat([...this.pending, piece]) : piece).toString('utf8');
      this.pending = [];
      this.pendingBytes = 0;
      start = nl + 1;
      this.onLine(line.replace(/\r$/, ''));
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0 || this.protocolError) return;
    this.pendingBytes += rest.length;
    this.pending.push(rest);
    if (this.pendingBytes > MAX_MESSAGE_BYTES) {
      this.pending = [];
      this.protocolError = `it sent a message larger than ${MAX_MESSAGE_BYTES / 1024 / 1024} MB on stdout, so it was stopped`;
      this.onerror?.(new Error(this.protocolError));
      void this.close();
    }
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    let message: JSONRPCMessage;
    try {
      message = deserializeMessage(line);
    } catch {
      // A server that logs to stdout: skip the line, but keep it for the error messages.
      this.stderr.push(`[stdout, not JSON-RPC] ${line}\n`);
      this.onerror?.(new Error(`the server wrote a line to stdout that is not JSON-RPC: ${line.slice(0, 200)}`));
      return;
    }
    this.onmessage?.(message);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      const stdin = this.child?.stdin;
      if (!stdin || stdin.destroyed || !stdin.writable || this.exit) {
        reject(new Error('the MCP server process is not running'));
        return;
      }
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', resolve);
    });
  }

  /** Closes stdin, then SIGTERM, then SIGKILL (the whole process group); resolves once it is gone. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child || this.finished || !this.closed) return this.closed;
    try {
      child.stdin?.end();
    } catch {
      /* already gone */
    }
    if (await this.waitClosed(GRACE_MS)) return;
    this.killGroup('SIGTERM');
    if (await this.waitClosed(TERM_MS)) return;
    this.killGroup('SIGKILL');
    await this.waitClosed(TERM_MS);
  }

  private waitClosed(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      this.closed!.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]).finally(() => clearTimeout(timer));
  }

  private killGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      if (process.platform === 'win32') this.child!.kill(signal);
      else process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone; fall back to the leader alone.
      try {
        if (this.child!.exitCode === null && this.child!.signalCode === null) this.child!.kill(signal);
      } catch {
        /* gone */
      }
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.pending = [];
    this.closedResolve();
    this.onclose?.();
  }

  /** "exited with code 3" / "was killed by SIGKILL" / "could not be started (spawn x ENOENT)". */
  describe(): string | null {
    if (this.protocolError) return this.protocolError;
    if (this.spawnError) {
      const hint = this.spawnError.code === 'ENOENT' ? ' (command not found: check "command" and PATH)' : '';
      return `could not run "${this.params.command}": ${this.spawnError.message}${hint}`;
    }
    if (this.exit) {
      return this.exit.signal ? `process was killed by ${this.exit.signal}` : `process exited with code ${this.exit.code}`;
    }
    return null;
  }
}
