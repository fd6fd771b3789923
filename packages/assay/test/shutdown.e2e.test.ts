/** Graceful shutdown: in-flight calls finish, new connections are refused, every trace is flushed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startFakeOpenAI } from './helpers/fake-openai.js';
import { ADMIN_KEY, startAssay } from './helpers/assay.js';
import { openStore } from '../src/store/index.js';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

test('close() lets in-flight calls and streams finish, then flushes their traces', async () => {
  const up = await startFakeOpenAI();
  const assay = await startAssay({ providers: [{ id: 'up', type: 'openai', base_url: up.url }], tracing: { flush_interval_ms: 10_000, batch_size: 10_000 } });
  const client = new OpenAI({ baseURL: `${assay.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
  try {
    const slow = client.chat.completions.create({ model: 'up/slow-300', messages: [{ role: 'user', content: 'finish me' }] }).withResponse();
    const stream = await client.chat.completions.create({ model: 'up/slow-50', messages: [{ role: 'user', content: 'a b c d' }], stream: true });
    await new Promise((r) => setTimeout(r, 50));
    const closing = assay.close();
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'echo: a b c d');
    const { data, response } = await slow;
    assert.equal(data.choices[0].message.content, 'echo: finish me');
    await closing;
    await assert.rejects(fetch(`${assay.url}/health`), 'no new connections after close');

    // The flush interval was 10 s: only the shutdown flush can have written these.
    const store = await openStore({ dialect: 'sqlite', target: join(assay.dataDir, 'assay.db') });
    const rows = await store.observations.getTrace(response.headers.get('x-assay-trace-id')!);
    assert.equal(rows.length, 2);
    const page = await store.observations.listTraces({}, 10);
    assert.equal(page.data.length, 2);
    await store.close();
  } finally {
    rmSync(assay.dataDir, { recursive: true, force: true });
    await up.close();
  }
});

test('a start that fails half-way (a busy port) releases what it opened: the process exits on its own', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    const script = fileURLToPath(new URL('./fixtures/start-on-busy-port.ts', import.meta.url));
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', script, String(port)], { timeout: 30_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message} (killed: ${err.killed})\n${stdout}${stderr}`)) : resolve({ stdout }),
      ),
    );
    assert.match(stdout, /^rejected: listen EADDRINUSE/);
  } finally {
    blocker.close();
  }
});
