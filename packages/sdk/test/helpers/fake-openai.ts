/**
 * A minimal OpenAI-compatible server for the wrapOpenAI tests: chat completions (JSON or SSE,
 * usage with cached and reasoning tokens, a tool call for models starting with "tool"), embeddings,
 * and an OpenAI error body for the model "fail". The stream pauses before its last chunks until
 * `release()` is called when the model starts with "gated", so a test can look at the middle of a stream;
 * "break-stream" drops the connection after "Hello".
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOpenAI {
  url: string;
  /** Lets gated streams finish. */
  release(): void;
  close(): Promise<void>;
}

const usage = {
  prompt_tokens: 12,
  completion_tokens: 7,
  total_tokens: 19,
  prompt_tokens_details: { cached_tokens: 4 },
  completion_tokens_details: { reasoning_tokens: 2 },
};

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  let release: () => void = () => undefined;
  let gate = new Promise<void>((r) => (release = r));
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    const model = String(body.model);
    const json = (status: number, obj: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': 'req_123' });
      res.end(JSON.stringify(obj));
    };
    if (model === 'fail') {
      return json(400, { error: { message: 'The model `fail` does not exist', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
    }
    if (req.url === '/v1/embeddings') {
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      return json(200, {
        object: 'list',
        model,
        data: inputs.map((_: unknown, index: number) => ({
          object: 'embedding',
          index,
          // The openai client asks for base64 (little-endian float32) unless the app chose a format.
          embedding: body.encoding_format === 'base64' ? Buffer.from(new Float32Array([0.1, 0.2, 0.3]).buffer).toString('base64') : [0.1, 0.2, 0.3],
        })),
        usage: { prompt_tokens: 5, total_tokens: 5 },
      });
    }
    const tool = model.startsWith('tool');
    const base = { id: 'chatcmpl-1', object: 'chat.completion', created: 1_700_000_000, model: `${model}-2024` };
    if (!body.stream) {
      const message = tool
        ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] }
        : { role: 'assistant', content: 'Hello there' };
      return json(200, { ...base, choices: [{ index: 0, message, finish_reason: tool ? 'tool_calls' : 'stop' }], usage });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'req_456' });
    const send = (obj: unknown) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
    const chunk = (delta: unknown, finish: string | null = null) =>
      send({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] });
    chunk({ role: 'assistant', content: '' });
    if (tool) {
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '' } }] });
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] });
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] });
    } else {
      chunk({ content: 'Hel' });
      chunk({ content: 'lo' });
    }
    if (model === 'break-stream') return void res.socket?.end(); // the connection drops mid-answer (after the data)
    if (model.startsWith('gated')) await gate;
    chunk({}, tool ? 'tool_calls' : 'stop');
    if (body.stream_options?.include_usage) send({ ...base, object: 'chat.completion.chunk', choices: [], usage });
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    release: () => {
      release();
      gate = new Promise<void>((r) => (release = r));
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
