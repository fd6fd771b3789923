/**
 * Server-sent events to the client: one `data:` line per chunk, pulled from the pipeline only as
 * fast as the client reads, `data: [DONE]` at the end. A failure after the first chunk is sent
 * in-band as `data: {"error":{…}}` (HTTP 200 has gone out already) and ends the stream.
 */
import { clientClosed, toAssayError } from '../../errors.js';
import { ChunkAccumulator } from '../../gateway/accumulate.js';
import type { ChatCompletionChunk } from '../../gateway/types.js';
import { errorBody } from '../errors.js';

const encoder = new TextEncoder();
const DONE = encoder.encode('data: [DONE]\n\n');

export interface StreamHooks {
  /** Called once with the first chunk's arrival. */
  onFirstChunk(): void;
  /** Called once when the stream is over: finished, failed or cancelled by the client. */
  onEnd(acc: ChunkAccumulator, error: unknown | null): void;
}

export function sseStream(
  chunks: AsyncIterable<ChatCompletionChunk>,
  clientWantsUsage: boolean,
  hooks: StreamHooks,
): ReadableStream<Uint8Array> {
  const it = chunks[Symbol.asyncIterator]();
  const acc = new ChunkAccumulator();
  let ended = false;
  const end = (error: unknown | null) => {
    if (ended) return;
    ended = true;
    hooks.onEnd(acc, error);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          for (;;) {
            const r = await it.next();
            if (r.done) {
              controller.enqueue(DONE);
              controller.close();
              end(null);
              return;
            }
            const chunk = r.value;
            if (acc.chunks === 0) hooks.onFirstChunk();
            acc.add(chunk);
            if (!clientWantsUsage && chunk.usage !== undefined) {
              if (!chunk.choices || chunk.choices.length === 0) continue; // the usage-only chunk the client did not ask for
              const { usage: _usage, ...rest } = chunk;
              controller.enqueue(encoder.encode(`data: ${JSON.stringify(rest)}\n\n`));
              return;
            }
            controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`));
            return;
          }
        } catch (err) {
          const e = toAssayError(err);
          controller.enqueue(encoder.encode(`data: ${JSON.stringify(errorBody(e, true))}\n\n`));
          controller.close();
          end(e);
        }
      },
      async cancel() {
        end(clientClosed('the client closed the stream'));
        await it.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}
