/**
 * A small XML well-formedness check for what the JUnit writer produces (elements, quoted
 * attributes, text; no comments, CDATA or DTDs): balanced tags, one root, only the five predefined
 * entities. Used by the tests, which have no XML parser among the dependencies.
 */

/** The first problem found, or null when the document is well-formed. */
export function xmlProblem(xml: string): string | null {
  if (!xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')) return 'no XML declaration';
  const body = xml.slice(xml.indexOf('?>') + 2);
  const stack: string[] = [];
  const TOKEN = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let roots = 0;
  let end = 0;
  for (let m: RegExpExecArray | null; (m = TOKEN.exec(body)); end = TOKEN.lastIndex) {
    const text = m[5] ?? m[3] ?? '';
    for (const e of text.match(/&[^;\s]*;?/g) ?? []) if (!/^&(amp|lt|gt|quot|apos);$/.test(e)) return `bad entity ${e}`;
    if (m[5] !== undefined) {
      if (stack.length === 0 && m[5].trim() !== '') return 'text outside the root element';
      continue;
    }
    if (m[1]) {
      if (stack.pop() !== m[2]) return `unbalanced </${m[2]}>`;
    } else {
      if (stack.length === 0) roots++;
      if (!m[4]) stack.push(m[2]);
    }
  }
  if (end !== body.length) return `not well-formed near: ${body.slice(end, end + 60)}`;
  if (stack.length) return `unclosed <${stack.join('>, <')}>`;
  return roots === 1 ? null : `${roots} root elements`;
}
