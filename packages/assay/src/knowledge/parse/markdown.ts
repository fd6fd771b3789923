import { parse as parseYaml } from 'yaml';
import { badRequest } from '../../errors.js';
import type { Metadata, ParsedDocument, Section } from './types.js';

/**
 * Markdown → sections, line by line (CommonMark-ish, no dependency): YAML front matter becomes
 * document metadata (`title` also the document title); ATX and setext headings build the heading
 * path; fenced code blocks are kept intact with their fences; list and table blocks stay whole as
 * `list` / `table` sections; everything else is a paragraph. Thematic breaks are dropped.
 */
export function parseMarkdown(text: string, source: string): ParsedDocument {
  const lines = text.split('\n');
  let i = 0;
  let metadata: Metadata = {};
  if (/^---[ \t]*$/.test(lines[0] ?? '')) {
    const end = lines.findIndex((l, n) => n > 0 && /^(---|\.\.\.)[ \t]*$/.test(l));
    if (end > 0) {
      metadata = frontMatter(lines.slice(1, end).join('\n'), source);
      i = end + 1;
    }
  }

  const sections: Section[] = [];
  const stack: { level: number; text: string }[] = [];
  const path = () => stack.map((h) => h.text);
  let firstH1: string | undefined;
  const heading = (level: number, raw: string) => {
    const text = raw.replace(/[ \t]+#+[ \t]*$/, '').replace(/^#+$/, '').trim();
    if (!text) return;
    while (stack.length && stack[stack.length - 1].level >= level) stack.pop();
    stack.push({ level, text });
    if (level === 1 && firstH1 === undefined) firstH1 = text;
    sections.push({ headingPath: path(), text, kind: 'heading' });
  };
  const push = (kind: Section['kind'], body: string[]) => {
    const t = body.map((l) => l.trimEnd()).join('\n').trimEnd(); // trimEnd: linear, unlike /\s+$/ on long runs
    if (t.trim()) sections.push({ headingPath: path(), text: t, kind });
  };

  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i++;
      continue;
    }
    const atx = /^ {0,3}(#{1,6})(?:[ \t]+(.*))?$/.exec(line);
    if (atx) {
      heading(atx[1].length, atx[2] ?? '');
      i++;
      continue;
    }
    const fence = /^( {0,3})(`{3,}|~{3,})/.exec(line);
    if (fence) {
      const marker = fence[2];
      const close = new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}[ \\t]*$`);
      let j = i + 1;
      while (j < lines.length && !close.test(lines[j])) j++;
      push('code', lines.slice(i, Math.min(j + 1, lines.length))); // an unclosed fence runs to the end
      i = j + 1;
      continue;
    }
    if (/^ {0,3}([-*_])([ \t]*\1){2,}[ \t]*$/.test(line)) {
      i++; // thematic break
      continue;
    }
    if (isListItem(line)) {
      let j = i + 1;
      while (j < lines.length) {
        const l = lines[j];
        if (isListItem(l) || (/^[ \t]+\S/.test(l) && !/^ {0,3}(`{3,}|~{3,})/.test(l))) j++;
        else if (!l.trim() && j + 1 < lines.length && (isListItem(lines[j + 1]) || /^[ \t]{2,}\S/.test(lines[j + 1]))) j++;
        else if (l.trim() && lines[j - 1].trim() && !startsBlock(l)) j++; // lazy continuation
        else break;
      }
      push('list', lines.slice(i, j));
      i = j;
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && /^ {0,3}\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$/.test(lines[i + 1])) {
      let j = i + 2;
      while (j < lines.length && lines[j].includes('|') && lines[j].trim()) j++;
      push('table', lines.slice(i, j));
      i = j;
      continue;
    }
    // Paragraph: runs until a blank line or the start of another block; a setext underline makes it a heading.
    let j = i + 1;
    while (j < lines.length && lines[j].trim() && !startsBlock(lines[j])) {
      if (/^ {0,3}(=+|-+)[ \t]*$/.test(lines[j])) break;
      j++;
    }
    if (j < lines.length && /^ {0,3}(=+|-+)[ \t]*$/.test(lines[j]) && lines[j].trim()) {
      heading(lines[j].trim()[0] === '=' ? 1 : 2, lines.slice(i, j).map((l) => l.trim()).join(' '));
      i = j + 1;
      continue;
    }
    push('paragraph', lines.slice(i, j));
    i = j;
  }

  const fmTitle = typeof metadata.title === 'string' && metadata.title.trim() ? metadata.title.trim() : undefined;
  return { source, format: 'markdown', title: fmTitle ?? firstH1, sections, metadata };
}

function isListItem(line: string): boolean {
  return /^ {0,3}([-*+]|\d{1,9}[.)])([ \t]+|$)/.test(line) && !/^ {0,3}([-*_])([ \t]*\1){2,}[ \t]*$/.test(line);
}

function startsBlock(line: string): boolean {
  return /^ {0,3}(#{1,6}([ \t]|$)|`{3,}|~{3,})/.test(line) || isListItem(line);
}

function frontMatter(yaml: string, source: string): Metadata {
  let value: unknown;
  try {
    value = parseYaml(yaml);
  } catch (err) {
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw badRequest(`${source}: the front matter is not valid YAML (${detail}): fix it or remove the --- block`, 'file', 'invalid_front_matter');
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(`${source}: the front matter must be a YAML mapping (key: value lines)`, 'file', 'invalid_front_matter');
  }
  // Dates and other non-JSON values become JSON-safe so metadata can be stored and filtered on.
  return JSON.parse(JSON.stringify(value)) as Metadata;
}
