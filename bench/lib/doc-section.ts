/** Writes a benchmark's markdown between its markers in a doc, or appends it under a heading the first time. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export function writeDocSection(docPath: string | null, begin: string, end: string, heading: string, md: string): void {
  if (!docPath || !existsSync(docPath)) return;
  const doc = readFileSync(docPath, 'utf8');
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  const next = i >= 0 && j > i ? doc.slice(0, i) + md + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n## ${heading}\n\n${md}\n`;
  writeFileSync(docPath, next);
}
