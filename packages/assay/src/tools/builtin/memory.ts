/**
 * `memory`: long-term memory per end user (docs/memory.md) as tools. The model stores facts with
 * `remember` and looks them up with `recall`; with `recall: auto` the user's most relevant
 * memories for the last user message are added to the call up front; with `extract: true` a
 * configured model extracts durable facts from the conversation after the answer, off the
 * response path. The end user is the OpenAI `user` field or the x-assay-user header, within the
 * calling key's memory namespace (memory/owner.ts).
 */
import { badRequest } from '../../errors.js';
import type { ChatHandler } from '../../gateway/spec.js';
import type { ChatMessage } from '../../gateway/types.js';
import { LEGACY_NAMESPACE, ownerId, type MemoryService } from '../../memory/index.js';
import type { FamilyResolver } from '../resolve.js';
import type { Citation, ServerTool } from '../types.js';

function text(m: ChatMessage | undefined): string {
  if (!m) return '';
  if (typeof m.content === 'string') return m.content;
  if (Array.isArray(m.content)) return m.content.map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : '')).join(' ');
  return '';
}

export interface MemoryFamilyDeps {
  memory: MemoryService;
  /** The gateway's chat pipeline, for extraction (late-bound: the pipeline includes this family). */
  chat: () => ChatHandler;
  log?: (msg: string) => void;
}

export function memoryFamily(deps: MemoryFamilyDeps): FamilyResolver<'memory'> {
  const { memory } = deps;
  return async ({ memory: spec }, env) => {
    if (!env.userId) {
      throw badRequest('memory tools need the end user: set `user` in the request body or the x-assay-user header', 'user', 'user_required');
    }
    const user = ownerId(env.key?.memoryNamespace ?? LEGACY_NAMESPACE, env.userId);
    const remember: ServerTool = {
      name: 'remember',
      kind: 'memory',
      description:
        'Stores a durable fact about the user (preferences, circumstances, decisions) for later conversations. ' +
        'One short self-contained sentence per call, e.g. "Is allergic to peanuts". Do not store passing details.',
      parameters: {
        type: 'object',
        properties: { fact: { type: 'string', description: 'The fact, one sentence, written so it makes sense on its own.' } },
        required: ['fact'],
        additionalProperties: false,
      },
      async run(args, ctx) {
        if (typeof args.fact !== 'string' || args.fact.trim() === '') return { content: 'Error: `fact` must be a non-empty string.', isError: true };
        const r = await memory.remember(user, args.fact, { source: 'tool', parent: ctx.span, signal: ctx.signal, traceId: ctx.traceId });
        return { content: r.created ? 'Remembered.' : 'Already known (kept).', data: r };
      },
    };
    const recall: ServerTool = {
      name: 'recall',
      kind: 'memory',
      description: "Looks up what is known about the user from earlier conversations. Returns the stored facts most relevant to the query.",
      parameters: {
        type: 'object',
        properties: { query: { type: 'string', description: 'What to look for, e.g. "dietary restrictions".' } },
        required: ['query'],
        additionalProperties: false,
      },
      async run(args, ctx) {
        if (typeof args.query !== 'string' || args.query.trim() === '') return { content: 'Error: `query` must be a non-empty string.', isError: true };
        const hits = await memory.recall(user, args.query, { parent: ctx.span, signal: ctx.signal });
        const citations: Citation[] = hits.map((h) => ({ type: 'memory', id: h.id, source: 'memory', score: h.score, text: h.text }));
        return {
          content: hits.length ? hits.map((h) => `- ${h.text}`).join('\n') : 'Nothing is stored about the user that matches this.',
          citations,
          data: hits,
        };
      },
    };
    const context: string[] = [];
    if (spec.recall === 'auto') {
      const query = text([...env.messages].reverse().find((m) => m.role === 'user'));
      if (query.trim()) {
        const hits = await memory.recall(user, query, { parent: env.span, signal: env.signal });
        env.span.meta({ memory_recalled: hits.map((h) => h.id) });
        if (hits.length) context.push(`Known facts about the user from earlier conversations:\n${hits.map((h) => `- ${h.text}`).join('\n')}`);
      }
    } else {
      void memory.warm(user); // loads the user's vectors while the first model step runs
    }
    const onFinish = spec.extract
      ? (conversation: ChatMessage[]) => {
          memory
            .extract(user, conversation, deps.chat(), { parent: env.span, key: env.key })
            .then((r) => r.error && deps.log?.(`memory extraction for a user failed: ${r.error}`))
            .catch((err) => deps.log?.(`memory extraction failed: ${(err as Error).message}`));
        }
      : undefined;
    return { tools: [remember, recall], context, onFinish };
  };
}
