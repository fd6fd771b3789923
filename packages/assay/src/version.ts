import { readFileSync } from 'node:fs';

/** The assay package version, read from its package.json (works from src/ under tsx and from dist/). */
export const VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();
