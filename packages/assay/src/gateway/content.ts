/** Text of a message's content: a string as is, the text parts of a parts array joined, else ''. */
import type { ContentPart } from './types.js';

export function contentText(content: string | ContentPart[] | null | undefined): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : '')).join('');
}
