/** Long-term memory per end user (docs/memory.md): the service the tool loop and /api/memory use. */
export { MemoryService, DEFAULT_CACHE_BYTES, MAX_K, type MemoryServiceOptions, type ExtractOptions, type ExtractResult } from './service.js';
export type * from './types.js';
export { MEMORY_SOURCES, modelMismatch } from './types.js';
export { MAX_TEXT_CHARS, MAX_USER_ID_CHARS, normalizeText } from './text.js';
export { EXTRACT_SYSTEM_PROMPT, MAX_FACTS } from './extract.js';
export { LEGACY_NAMESPACE, ownerId, splitOwner, type MemoryOwner } from './owner.js';
