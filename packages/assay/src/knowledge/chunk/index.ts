export * from './chunker.js';
export { TOKENIZER, tokenCount } from './tokenizer.js';
