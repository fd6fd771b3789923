/**
 * Prompt resolution benchmark: what the gateway's prompt layer costs per call, served from memory
 * (packages/assay/src/prompts). A registry of 1,000 prompts × 5 versions (labels production and
 * staging on older versions) on SQLite; 10,000 timed operations per row after a warm-up, each timed
 * on its own. Baseline: one Map lookup, the floor of any in-memory resolution. Target: p99 < 1 ms
 * for the whole layer. See docs/prompts.md.
 *
 *   node --import tsx bench/prompts/run.ts [-- --ops=10000] [--no-write]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, platform, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { routerDefaultsSchema } from '../../packages/assay/src/config/schema.js';
import { ModelRegistry } from '../../packages/assay/src/gateway/registry.js';
import type { CallContext } from '../../packages/assay/src/gateway/spec.js';
import type { ChatCompletion, ChatRequest } from '../../packages/assay/src/gateway/types.js';
import { promptLayer } from '../../packages/assay/src/prompts/layer.js';
import { renderCompiled } from '../../packages/assay/src/prompts/render.js';
import { PromptService } from '../../packages/assay/src/prompts/service.js';
import { createInputSchema, toNewVersion } from '../../packages/assay/src/prompts/types.js';
import { openDb } from '../../packages/assay/src/store/db.js';
import { emptyObservation, Span } from '../../packages/assay/src/tracing/span.js';
import { summarize } from '../gateway/stats.js';
import { writeDocSection } from '../lib/doc-section.js';

const argv = process.argv.slice(2);
const arg = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const OPS = Number(arg('ops') ?? 10_000);
const PROMPTS = 1_000;
const VERSIONS = 5;
const TARGET_P99_US = 1000;
const write = !argv.includes('--no-write');
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const log = (s: string) => process.stderr.write(`${s}\n`);

const SYSTEM = 'You are a support agent for {{company}}. Answer in {{language}}, in at most {{limit}} sentences.\nBe precise; cite the policy.';

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'assay-bench-prompts-'));
  const db = await openDb({ dialect: 'sqlite', target: join(dir, 'assay.db') });
  try {
    const prompts = new PromptService({ db, pollMs: 0 });
    await prompts.start();
    const t0 = performance.now();
    for (let p = 0; p < PROMPTS; p++) {
      for (let v = 1; v <= VERSIONS; v++) {
        const labels = v === 3 ? ['production'] : v === 4 ? ['staging'] : [];
        const body = p % 2
          ? { name: `team${p % 10}/prompt-${p}`, prompt: `${SYSTEM} (v${v})`, config: { temperature: 0.2, max_tokens: 300 }, labels }
          : { name: `team${p % 10}/prompt-${p}`, prompt: [{ role: 'system', content: `${SYSTEM} (v${v})` }, { role: 'assistant', content: 'How can I help with {{topic}}?' }], config: { model: 'up/m', temperature: 0 }, labels };
        await prompts.create(toNewVersion(createInputSchema.parse(body)), { keyId: null });
      }
    }
    log(`registry: ${PROMPTS} prompts × ${VERSIONS} versions written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const reload0 = performance.now();
    const fresh = new PromptService({ db, pollMs: 0 });
    await fresh.start();
    const reloadMs = performance.now() - reload0;
    log(`full load at start: ${reloadMs.toFixed(1)} ms`);

    const names = Array.from({ length: PROMPTS }, (_, p) => `team${p % 10}/prompt-${p}`);
    const vars = { company: 'Acme', language: 'English', limit: 3, topic: 'billing' };
    const map = new Map(names.map((n) => [`default\u0000${n}`, n]));
    const registry = new ModelRegistry(new Map(), [], routerDefaultsSchema.parse({}));
    const completion: ChatCompletion = { id: 'c', object: 'chat.completion', created: 0, model: 'm', choices: [] };
    const layer = promptLayer({ prompts: fresh, registry })(async () => ({ kind: 'response', response: completion }));
    const sink = { record: () => undefined };
    const ctx = (): CallContext => ({
      traceId: 't', signal: new AbortController().signal, keyId: null, userId: null, sessionId: null, tags: [], metadata: {},
      span: new Span(sink, emptyObservation({ trace_id: 't', type: 'generation', name: 'chat.completions' })),
    });
    // Old unlabelled versions (v1) of the first 500 prompts: loaded once, then LRU hits.
    for (let i = 0; i < 500; i++) await fresh.resolve({ name: names[i], version: 1 });

    type Row = { name: string; run: (i: number) => unknown | Promise<unknown> };
    const rows: Row[] = [
      { name: 'baseline: Map.get', run: (i) => map.get(`default\u0000${names[i % PROMPTS]}`) },
      { name: 'resolve (production label)', run: (i) => fresh.resolveCached({ name: names[i % PROMPTS] }) },
      { name: 'resolve (explicit version, pinned)', run: (i) => fresh.resolveCached({ name: names[i % PROMPTS], version: 5 }) },
      { name: 'resolve (old version, LRU hit)', run: (i) => fresh.resolveCached({ name: names[i % 500], version: 1 }) },
      { name: 'resolve + render', run: (i) => renderCompiled(fresh.resolveCached({ name: names[i % PROMPTS] })!, { variables: vars }) },
      { name: 'service.render (async)', run: (i) => fresh.render({ name: names[i % PROMPTS] }, { variables: vars }) },
      {
        // The request and the call context (span, abort signal) are made before the clock starts: the HTTP surface makes them anyway.
        name: 'prompt layer (whole call path)',
        run: (i) => layer(calls[i].req, calls[i].ctx),
      },
    ];
    const calls = Array.from({ length: Math.max(OPS, 2000) }, (_, i) => ({
      req: { model: 'up/m', messages: [{ role: 'user', content: 'hi' }], assay: { prompt: { name: names[i % PROMPTS], variables: vars } } } as ChatRequest,
      ctx: ctx(),
    }));

    const results: { name: string; s: ReturnType<typeof summarize>; max: number }[] = [];
    for (const row of rows) {
      for (let i = 0; i < 2000; i++) await row.run(i); // warm-up (JIT)
      const us: number[] = new Array(OPS);
      for (let i = 0; i < OPS; i++) {
        const a = performance.now();
        const r = row.run(i);
        if (r instanceof Promise) await r;
        us[i] = (performance.now() - a) * 1000;
      }
      results.push({ name: row.name, s: summarize(us), max: Math.max(...us) });
    }

    const f = (x: number) => x.toFixed(2);
    const lines = [
      `| operation (${OPS.toLocaleString('en')} ops each) | p50 µs | p99 µs | mean µs | max µs |`,
      '|---|---:|---:|---:|---:|',
      ...results.map((r) => `| ${r.name} | ${f(r.s.p50)} | ${f(r.s.p99)} | ${f(r.s.mean)} | ${f(r.max)} |`),
    ];
    const layerP99 = results[results.length - 1].s.p99;
    const verdict = layerP99 < TARGET_P99_US ? `p99 of the whole layer ${f(layerP99)} µs: under the 1 ms target` : `p99 of the whole layer ${f(layerP99)} µs: OVER the 1 ms target`;
    const env = `Run ${new Date().toISOString().slice(0, 10)} with \`node --import tsx bench/prompts/run.ts\`: Node ${process.version}, ${platform()} ${release()}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} threads); ${PROMPTS} prompts × ${VERSIONS} versions, loaded at start in ${reloadMs.toFixed(0)} ms.`;
    const md = `${lines.join('\n')}\n\n${verdict}. ${env}\n`;
    console.log(md);
    if (write) writeDocSection(join(ROOT, 'docs/prompts.md'), '<!-- bench:prompts:begin -->', '<!-- bench:prompts:end -->', 'Benchmark', `<!-- bench:prompts:begin -->\n${md}<!-- bench:prompts:end -->`);
    fresh.stop();
    prompts.stop();
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
