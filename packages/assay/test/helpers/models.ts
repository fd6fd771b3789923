/**
 * The tiny real GGUF model the tests use (shared/models beside the repository; ASSAY_TEST_MODEL
 * overrides). Its text is gibberish: tests check mechanics and formats, never quality.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const candidates = [
  process.env.ASSAY_TEST_MODEL,
  fileURLToPath(new URL('../../../../../shared/models/llama-2-tiny-random.gguf', import.meta.url)),
  '/work/shared/models/llama-2-tiny-random.gguf',
].filter((p): p is string => !!p);

const found = candidates.find((p) => existsSync(p));
if (!found) {
  throw new Error(`the test model llama-2-tiny-random.gguf was not found (looked at: ${candidates.join(', ')}); set ASSAY_TEST_MODEL to its path`);
}
export const TINY_MODEL: string = found;
