/**
 * The page at / until the dashboard (packages/web) is built: what is running and how to call it.
 */
import type { AppDeps } from './deps.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function homePage(deps: AppDeps, host: string): string {
  const models = deps.registry.list().map((m) => m.id);
  const example = models[0] ?? 'local/default';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Assay</title><style>
:root{color-scheme:light dark;font-family:system-ui,sans-serif}body{max-width:46rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
pre{background:#8881;padding:1rem;border-radius:6px;overflow:auto}code{font-family:ui-monospace,monospace}</style></head><body>
<h1>Assay ${esc(deps.version)}</h1>
<p>The gateway is running: point any OpenAI SDK at <code>/v1</code> with an Assay key.</p>
<pre><code>curl -s http://HOST/v1/chat/completions \\
  -H "Authorization: Bearer $ASSAY_API_KEY" -H "Content-Type: application/json" \\
  -d '{"model": "${esc(example)}", "messages": [{"role": "user", "content": "Hello"}]}'</code></pre>
<p>Models and routes: ${models.length ? models.map((m) => `<code>${esc(m)}</code>`).join(', ') : 'none configured yet (see docs/configuration.md)'}.</p>
<p>Every call is traced: <code>GET /api/traces</code>. Store: ${esc(deps.store.dialect)}.</p>
</body></html>`.replace(/http:\/\/HOST/g, `http://${esc(host)}`);
}
