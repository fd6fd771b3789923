import { Parser } from 'htmlparser2';
import type { Metadata, ParsedDocument, Section } from './types.js';

/** Elements whose whole content is dropped: code, styling, navigation and other non-content. */
const DROP = new Set(['script', 'style', 'nav', 'noscript', 'template', 'svg', 'canvas', 'iframe', 'object', 'select', 'button']);
/** Elements that end the running paragraph. */
const BLOCK = new Set([
  'p', 'div', 'section', 'article', 'main', 'aside', 'header', 'footer', 'blockquote', 'figure', 'figcaption',
  'address', 'dl', 'dt', 'dd', 'form', 'fieldset', 'details', 'summary', 'hr', 'body', 'center',
]);
const HEADING = /^h([1-6])$/;

interface ListState { ordered: boolean; counter: number }
interface TableState { rows: string[][]; row: string[] | null; cell: string[] | null }

/**
 * HTML → sections with htmlparser2's streaming parser: h1–h6 build the heading path; p and other
 * blocks become paragraphs (whitespace collapsed, <br> kept as a line break); ul/ol become one `list`
 * section with "- " / "1. " items (nested lists indented); pre becomes `code` with its whitespace
 * kept; tables become `table` sections, one row per line, cells joined by " | ". <title> is the
 * document title (else the first h1); meta description/keywords/author and <html lang> go to metadata.
 */
export function parseHtml(html: string, source: string): ParsedDocument {
  const sections: Section[] = [];
  const metadata: Metadata = {};
  const stack: { level: number; text: string }[] = [];
  let title: string | undefined;
  let firstH1: string | undefined;
  let drop = 0; // depth inside dropped elements
  let inHead = false;
  let inTitle = false;
  let titleText = '';
  let pre = 0;
  let heading: { level: number; text: string } | null = null;
  let para = '';
  let preText = '';
  const lists: ListState[] = [];
  let listLines: string[] = [];
  let item: string | null = null; // text of the current list item
  let continued = false; // the item resumes after a nested list: no new marker
  const tables: TableState[] = [];

  const path = () => stack.map((h) => h.text);
  const collapse = (s: string) => s.replace(/[ \t\n\r\f]+/g, ' ');
  const clean = (s: string) =>
    s.split('\n').map((l) => l.replace(/ +/g, ' ').trim()).filter(Boolean).join('\n');
  const flushPara = () => {
    const t = clean(para);
    para = '';
    if (t) sections.push({ headingPath: path(), text: t, kind: 'paragraph' });
  };
  const flushItem = () => {
    if (item === null) return;
    const depth = lists.length - 1;
    const list = lists[depth];
    const t = clean(item).replace(/\n/g, ' ');
    const marker = continued ? ' '.repeat(list?.ordered ? String(list.counter).length + 1 : 1) : list?.ordered ? `${list.counter}.` : '-';
    if (t && list) listLines.push(`${'  '.repeat(Math.min(depth, 8))}${marker} ${t}`);
    item = null;
    continued = false;
  };
  const write = (s: string) => {
    if (heading) heading.text += s;
    else if (tables.length && tables[tables.length - 1].cell) tables[tables.length - 1].cell!.push(s);
    else if (item !== null) item += s;
    else para += s;
  };

  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (drop || DROP.has(name)) return void drop++;
        if (name === 'head') inHead = true;
        if (name === 'title') {
          inTitle = true;
          return;
        }
        if (name === 'meta' && attrs.name && attrs.content) {
          const key = attrs.name.toLowerCase();
          if (key === 'description' || key === 'keywords' || key === 'author') metadata[key] = attrs.content.trim();
        }
        if (name === 'html' && attrs.lang) metadata.language = attrs.lang;
        if (inHead) return;
        const h = HEADING.exec(name);
        if (h && !tables.length && !lists.length) {
          flushPara();
          heading = { level: Number(h[1]), text: '' };
        } else if (name === 'pre' && !tables.length && !lists.length) {
          if (pre++ === 0) (flushPara(), (preText = ''));
        } else if (name === 'ul' || name === 'ol') {
          if (!lists.length && !tables.length) flushPara();
          if (item !== null) flushItem();
          lists.push({ ordered: name === 'ol', counter: 0 });
        } else if (name === 'li' && lists.length && !tables.length) {
          flushItem();
          lists[lists.length - 1].counter++;
          item = '';
        } else if (name === 'table') {
          if (!tables.length && !lists.length) flushPara();
          tables.push({ rows: [], row: null, cell: null });
        } else if (name === 'tr' && tables.length) {
          tables[tables.length - 1].row = [];
        } else if ((name === 'td' || name === 'th') && tables.length) {
          const t = tables[tables.length - 1];
          t.row ??= [];
          t.cell = [];
        } else if (name === 'br') {
          if (pre) preText += '\n';
          else write('\n');
        } else if (BLOCK.has(name) || name === 'li') {
          if (item !== null || tables.length || heading) write(' ');
          else flushPara();
        } else if (name === 'img' && attrs.alt && !pre) {
          write(` ${attrs.alt} `);
        }
      },
      ontext(data) {
        if (drop) return;
        if (inTitle) titleText += data;
        else if (inHead) return;
        else if (pre) preText += data;
        else write(collapse(data));
      },
      onclosetag(name) {
        if (drop) return void drop--;
        if (name === 'title') {
          inTitle = false;
          title ??= clean(collapse(titleText)) || undefined;
          return;
        }
        if (name === 'head') return void (inHead = false);
        if (inHead) return;
        const h = HEADING.exec(name);
        if (h && heading) {
          const text = clean(heading.text).replace(/\n/g, ' ');
          const level = heading.level;
          heading = null;
          if (!text) return;
          while (stack.length && stack[stack.length - 1].level >= level) stack.pop();
          stack.push({ level, text });
          if (level === 1) firstH1 ??= text;
          sections.push({ headingPath: path(), text, kind: 'heading' });
        } else if (name === 'pre' && pre) {
          if (--pre === 0) {
            const t = preText.replace(/^\n/, '').trimEnd();
            if (t.trim()) sections.push({ headingPath: path(), text: t, kind: 'code' });
          }
        } else if ((name === 'ul' || name === 'ol') && lists.length) {
          flushItem();
          lists.pop();
          if (!lists.length) {
            if (listLines.length && !tables.length) sections.push({ headingPath: path(), text: listLines.join('\n'), kind: 'list' });
            else if (listLines.length) write(` ${listLines.join('; ')} `);
            listLines = [];
          } else (item = ''), (continued = true); // text after a nested list continues the parent item
        } else if (name === 'li' && lists.length) {
          flushItem();
        } else if ((name === 'td' || name === 'th') && tables.length) {
          const t = tables[tables.length - 1];
          if (t.cell) t.row!.push(clean(t.cell.join('')).replace(/\n/g, ' '));
          t.cell = null;
        } else if (name === 'tr' && tables.length) {
          const t = tables[tables.length - 1];
          if (t.row && t.row.some(Boolean)) t.rows.push(t.row);
          t.row = null;
        } else if (name === 'table' && tables.length) {
          const t = tables.pop()!;
          const text = t.rows.map((r) => r.join(' | ')).join('\n');
          if (tables.length || item !== null) write(` ${text.replace(/\n/g, '; ')} `); // nested: becomes cell or item text
          else if (text) sections.push({ headingPath: path(), text, kind: 'table' });
        } else if (BLOCK.has(name)) {
          if (item === null && !tables.length && !heading) flushPara();
          else write(' ');
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.end(html);
  flushItem();
  if (listLines.length) sections.push({ headingPath: path(), text: listLines.join('\n'), kind: 'list' });
  flushPara();
  return { source, format: 'html', title: title ?? firstH1, sections, metadata };
}
