/**
 * A sandbox worker thread: runs one job at a time (the pool never sends a second before the first
 * answers). Messages: {ready} once the WebAssembly module is compiled, then {id, job} → {id, result}. The pool terminates and replaces this thread when a
 * run overshoots its deadline, so nothing here needs to be interruptible from outside.
 */
import { parentPort } from 'node:worker_threads';
import { runJob, warmUp, type Job } from './engine.js';
import type { RunResult } from './types.js';

parentPort!.on('message', (msg: { id: number; job: Job }) => {
  runJob(msg.job).then(
    (result) => post(msg.id, result),
    (err: unknown) =>
      post(msg.id, {
        ok: false,
        error: { name: 'InternalError', message: `the sandbox failed: ${(err as Error)?.message ?? String(err)}`, kind: 'runtime' },
        logs: [],
        logsTruncated: false,
        durationMs: 0,
      }),
  );
});

function post(id: number, result: RunResult): void {
  try {
    parentPort!.postMessage({ id, result });
  } catch (err) {
    // The value could not be cloned (it came from JSON.parse, so this is unexpected): report that instead.
    parentPort!.postMessage({
      id,
      result: { ...result, ok: false, value: undefined, error: { name: 'Error', message: `the result could not be returned: ${(err as Error).message}`, kind: 'output' } },
    });
  }
}

warmUp().then(
  () => parentPort!.postMessage({ ready: true }),
  (err: unknown) => {
    throw new Error(`the QuickJS WebAssembly module could not be loaded: ${(err as Error)?.message ?? String(err)}`);
  },
);
