/** "Send your first request": curl and OpenAI SDK snippets with this server's address, for empty states. */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api } from '../api';
import { hasScope, useSessionKey } from '../session';

interface RoutesInfo {
  data: { name: string }[];
  providers: { id: string; models: string[] }[];
}

/** A model name that exists here (first route, else first provider model), for the snippets. */
function useExampleModel(): string {
  const routes = useQuery({ queryKey: ['routes'], queryFn: () => api<RoutesInfo>('/api/routes'), staleTime: 60_000 });
  const r = routes.data;
  if (r?.data[0]) return r.data[0].name;
  const p = r?.providers.find((x) => x.models.length > 0);
  return p ? `${p.id}/${p.models[0]}` : 'openai/gpt-4o-mini';
}

export function FirstRequest() {
  const key = useSessionKey();
  const model = useExampleModel();
  const origin = window.location.origin;
  const curl = `curl ${origin}/v1/chat/completions \\
  -H "Authorization: Bearer $ASSAY_API_KEY" \\
  -H "Content-Type: application/json" \\
  -H "x-assay-session-id: my-first-session" \\
  -d '{"model": "${model}", "messages": [{"role": "user", "content": "Hello!"}]}'`;
  const sdk = `import OpenAI from 'openai';
const client = new OpenAI({ baseURL: '${origin}/v1', apiKey: process.env.ASSAY_API_KEY });`;
  const py = `client = OpenAI(base_url="${origin}/v1", api_key=os.environ["ASSAY_API_KEY"])`;
  return (
    <div className="first-request">
      <p>
        Every call through the gateway becomes a trace here within a second.{' '}
        {hasScope(key, 'admin') ? (
          <>
            <Link href="/keys">Create a key</Link> with the <code>model</code> scope
          </>
        ) : (
          <>Ask an admin for a key with the <code>model</code> scope</>
        )}
        , set it as <code>ASSAY_API_KEY</code>, then send a request:
      </p>
      <pre aria-label="curl example">{curl}</pre>
      <p>Or point the OpenAI SDK at Assay (any OpenAI-compatible client works):</p>
      <pre aria-label="OpenAI SDK example">{sdk}</pre>
      <pre aria-label="Python example">{py}</pre>
      <p className="muted small">
        Agents and other frameworks can also send their traces over OTLP or the Langfuse SDKs (see <code>docs/ingest-otlp.md</code>).
      </p>
    </div>
  );
}
