/**
 * `retrieve`: hybrid search over a knowledge base (docs/knowledge-search.md). The model sends a
 * query; it reads the best passages, numbered, each with its source; the response's citations and
 * the trace's retrieval span keep the chunk ids with the score of each arm.
 */
import { AssayError } from '../../errors.js';
import type { KnowledgeService } from '../../knowledge/service.js';
import type { SearchHit } from '../../knowledge/index/types.js';
import type { FamilyResolver } from '../resolve.js';
import { DEFAULT_RETRIEVE_K } from '../spec.js';
import { TOOL_NAME, type Citation, type ServerTool } from '../types.js';

const QUOTE_CHARS = 300;

function toolName(kb: string, explicit: string | undefined, siblings: number): string {
  if (explicit) return explicit;
  if (siblings <= 1) return 'retrieve';
  const name = `retrieve_${kb.replace(/[^a-zA-Z0-9_-]/g, '_')}`.slice(0, 64);
  return TOOL_NAME.test(name) ? name : 'retrieve';
}

function where(h: SearchHit): string {
  const path = h.metadata.heading_path;
  const heading = Array.isArray(path) ? path.join(' › ') : '';
  const page = typeof h.metadata.page === 'number' ? `, page ${h.metadata.page}` : '';
  return `${h.source}${heading ? ` — ${heading}` : ''}${page}`;
}

export function retrieveFamily(knowledge: KnowledgeService): FamilyResolver<'retrieve'> {
  return async ({ retrieve: spec }, env) => {
    let kbName: string;
    let about: string | null;
    try {
      const base = await knowledge.get(spec.kb);
      kbName = base.name;
      about = spec.description ?? base.description;
    } catch (err) {
      if (err instanceof AssayError && err.status === 404) {
        throw new AssayError({ status: 400, code: 'kb_not_found', param: 'tools', message: `the retrieve tool names knowledge base "${spec.kb}", which does not exist: create it (POST /api/kb or \`assay kb create ${spec.kb}\`) or fix the tool's kb` });
      }
      throw err;
    }
    const tool: ServerTool = {
      name: toolName(kbName, spec.name, env.siblings),
      kind: 'retrieve',
      description:
        `Searches the knowledge base "${kbName}"${about ? ` (${about})` : ''} and returns the ${spec.k ?? DEFAULT_RETRIEVE_K} most relevant passages, numbered, with their sources. ` +
        'Use it before answering questions it may cover; answer from the passages and cite them by number.',
      parameters: {
        type: 'object',
        properties: { query: { type: 'string', description: 'What to look for: a question or keywords.' } },
        required: ['query'],
        additionalProperties: false,
      },
      async run(args, ctx) {
        if (typeof args.query !== 'string' || args.query.trim() === '') {
          return { content: 'Error: `query` must be a non-empty string.', isError: true };
        }
        const res = await knowledge.search(kbName, { query: args.query, k: spec.k ?? DEFAULT_RETRIEVE_K, filter: spec.filter as never, arms: spec.arms }, { parent: ctx.span, signal: ctx.signal });
        const hits = res.hits;
        ctx.span.meta({ kb: res.kb.name, arms: res.arms, hits: hits.length });
        const citations: Citation[] = hits.map((h) => ({
          type: 'chunk', id: String(h.chunkId), source: h.source, kb: res.kb.name, score: h.score,
          text: h.text.length > QUOTE_CHARS ? `${h.text.slice(0, QUOTE_CHARS)}…` : h.text,
        }));
        const content = hits.length
          ? hits.map((h, i) => `[${i + 1}] ${where(h)}\n${h.text}`).join('\n\n')
          : `No passages in "${res.kb.name}" match this query. Try other words, or answer that the knowledge base does not cover it.`;
        const data = hits.map((h) => ({
          chunk_id: h.chunkId, document_id: h.documentId, source: h.source, chunk_index: h.chunkIndex, score: h.score,
          vector: h.vectorRank !== undefined ? { rank: h.vectorRank, distance: h.vectorDistance } : null,
          text: h.textRank !== undefined ? { rank: h.textRank, bm25: h.bm25 } : null,
        }));
        return { content, citations, data: { query: args.query, hits: data } };
      },
    };
    return { tools: [tool] };
  };
}
