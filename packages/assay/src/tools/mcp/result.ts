/**
 * Maps an MCP tools/call result to the ToolResult the loop feeds to the model: text parts joined,
 * binary parts summarised (the model cannot read base64), resources by their text or URI, and
 * structured content as JSON when nothing else says anything.
 */
import type { ContentBlock } from '@modelcontextprotocol/sdk/types.js';
import type { ToolResult } from '../types.js';

/** Decoded size of a base64 string without decoding it. */
function base64Bytes(data: string): number {
  return Buffer.byteLength(data, 'base64');
}

function describeBlock(block: ContentBlock): string {
  switch (block.type) {
    case 'text':
      return block.text;
    case 'image':
    case 'audio':
      return `[${block.type}: ${block.mimeType}, ${base64Bytes(block.data)} bytes]`;
    case 'resource': {
      const r = block.resource;
      return 'text' in r && typeof r.text === 'string' ? r.text : `[resource: ${r.uri}]`;
    }
    case 'resource_link':
      return `[resource: ${block.uri}]`;
    default:
      return `[${(block as { type?: string }).type ?? 'unknown'} content]`;
  }
}

/** `raw` is what Client.callTool returned (current shape, or the pre-2024-11 `{toolResult}` shape). */
export function toToolResult(raw: Record<string, unknown>): ToolResult {
  const blocks = Array.isArray(raw.content) ? (raw.content as ContentBlock[]) : [];
  const parts = blocks.map(describeBlock).filter((s) => s !== '');
  const hasText = blocks.some((b) => (b.type === 'text' && b.text !== '') || (b.type === 'resource' && 'text' in b.resource));
  let content = parts.join('\n');
  if (!hasText && raw.structuredContent !== undefined) {
    content = content === '' ? JSON.stringify(raw.structuredContent) : `${JSON.stringify(raw.structuredContent)}\n${content}`;
  } else if (blocks.length === 0 && 'toolResult' in raw) {
    content = typeof raw.toolResult === 'string' ? raw.toolResult : JSON.stringify(raw.toolResult);
  }
  const result: ToolResult = { content, data: raw };
  if (raw.isError === true) result.isError = true;
  return result;
}
